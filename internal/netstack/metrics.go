package netstack

import "github.com/prometheus/client_golang/prometheus"

// metrics are the forwarder's Prometheus collectors. The "endpoint" label
// is the endpoint ID, or the load balancer name for node listeners.
type metrics struct {
	conns     *prometheus.CounterVec
	active    *prometheus.GaugeVec
	bytes     *prometheus.CounterVec
	rejects   *prometheus.CounterVec
	health    *prometheus.GaugeVec
	reconcile prometheus.Histogram
	fdLimit   *prometheus.CounterVec
}

// Reject reasons, the "reason" label of plink_forwarder_rejects_total.
const (
	rejectSecurityGroup = "security-group"
	rejectNoTarget      = "no-target"
	rejectDial          = "dial"
	// rejectSelfTarget: every target is a listener of this forwarder.
	rejectSelfTarget = "self-target"
)

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		conns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plink_forwarder_connections_total",
			Help: "Connections accepted, by endpoint (or load balancer for node listeners).",
		}, []string{"endpoint"}),
		active: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "plink_forwarder_active_connections",
			Help: "Connections being forwarded now.",
		}, []string{"endpoint"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plink_forwarder_bytes_total",
			Help: "Bytes forwarded; direction in = client to target, out = target to client.",
		}, []string{"endpoint", "direction"}),
		rejects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plink_forwarder_rejects_total",
			Help: "Connections refused, by reason (security-group, no-target, self-target, dial).",
		}, []string{"endpoint", "reason"}),
		health: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "plink_target_healthy",
			Help: "1 when the target passes its health checks, else 0.",
		}, []string{"target_group", "target"}),
		reconcile: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "plink_forwarder_reconcile_duration_seconds",
			Help:    "Time to apply a snapshot to the forwarder.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
	}
	m.fdLimit = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "plink_forwarder_fd_exhausted_total",
		Help: "Operations that failed for want of file descriptors (EMFILE, ENFILE), by op (accept, dial, health-check, bind).",
	}, []string{"op"})
	if reg == nil {
		reg = prometheus.NewRegistry() // private, thrown away
	}
	reg.MustRegister(m.conns, m.active, m.bytes, m.rejects, m.health, m.reconcile, m.fdLimit)
	return m
}

// connMetrics are the per-connection collectors of one "endpoint" label,
// looked up once and kept on the listener, so a connection does not hash
// its labels five times.
type connMetrics struct {
	name    string
	conns   prometheus.Counter
	active  prometheus.Gauge
	in, out prometheus.Counter
}

// connMetrics returns l's collectors for name, looking them up when the
// listener's route changed its name.
func (f *Forwarder) connMetrics(l *listener, name string) *connMetrics {
	if cm := l.metrics.Load(); cm != nil && cm.name == name {
		return cm
	}
	cm := &connMetrics{name: name, conns: f.m.conns.WithLabelValues(name), active: f.m.active.WithLabelValues(name),
		in: f.m.bytes.WithLabelValues(name, "in"), out: f.m.bytes.WithLabelValues(name, "out")}
	l.metrics.Store(cm)
	return cm
}
