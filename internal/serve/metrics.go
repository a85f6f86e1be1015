package serve

import "github.com/prometheus/client_golang/prometheus"

// serveMetrics is serve's health signal: whether the whole state is
// served, and what the open file limit left out.
type serveMetrics struct {
	healthy   prometheus.Gauge
	unserved  prometheus.Gauge
	exhausted prometheus.Gauge
	storeUp   prometheus.Gauge
}

func newServeMetrics(reg prometheus.Registerer, l fileLimit) *serveMetrics {
	m := &serveMetrics{
		healthy: prometheus.NewGauge(prometheus.GaugeOpts{Name: "plink_serve_healthy",
			Help: "1 when the last apply served every listener and DNS address of the store, else 0 (see the ready file's errors)."}),
		unserved: prometheus.NewGauge(prometheus.GaugeOpts{Name: "plink_serve_unserved_endpoints",
			Help: "Available endpoints left without listeners because the open file limit has no room for them."}),
		exhausted: prometheus.NewGauge(prometheus.GaugeOpts{Name: "plink_serve_listen_fd_exhausted",
			Help: "Listeners of the last apply that failed with EMFILE or ENFILE."}),
	}
	m.storeUp = prometheus.NewGauge(prometheus.GaugeOpts{Name: "plink_serve_store_up",
		Help: "1 when the last read of the store worked, 0 while it fails (a database server down): serve keeps serving its last snapshot."})
	m.storeUp.Set(1)
	limit := prometheus.NewGauge(prometheus.GaugeOpts{Name: "plink_serve_open_file_limit",
		Help: "The soft limit on open file descriptors (RLIMIT_NOFILE) serve runs with."})
	if l.known {
		limit.Set(float64(l.soft))
	}
	reg.MustRegister(m.healthy, m.unserved, m.exhausted, m.storeUp, limit)
	return m
}

func (m *serveMetrics) set(healthy bool, unserved, exhausted int) {
	v := 0.0
	if healthy {
		v = 1
	}
	m.healthy.Set(v)
	m.unserved.Set(float64(unserved))
	m.exhausted.Set(float64(exhausted))
}
