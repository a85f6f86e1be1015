package control

import (
	"context"
)

// Host is one registered `plink serve --zones` as `plink get hosts -o json`
// shows it. Hosts are plink's own (AWS does not show the machines behind
// a zone): every caller sees every host.
type Host struct {
	HostID        string   `json:"HostId"`
	HostName      string   `json:"HostName"`
	Zones         []string `json:"Zones"`
	HostAddress   string   `json:"HostAddress"`
	Addresses     []string `json:"Addresses"`
	Version       string   `json:"Version"`
	Pid           int      `json:"Pid"`
	StartTime     string   `json:"StartTime"`
	LastHeartbeat string   `json:"LastHeartbeat"` // "" once stopped
	// HeartbeatTimeoutSeconds is how long the host may miss heartbeats
	// before its zones are impaired.
	HeartbeatTimeoutSeconds float64 `json:"HeartbeatTimeoutSeconds"`
	State                   string  `json:"State"` // live | failed | stopped
}

// Hosts lists the serves registered with --zones, by host name.
func (a *API) Hosts(ctx context.Context) ([]Host, error) {
	hosts, err := a.st.Hosts(ctx)
	if err != nil {
		return nil, err
	}
	now := a.now()
	out := []Host{}
	for _, h := range hosts {
		beat := ""
		if !h.Heartbeat.IsZero() {
			beat = timestamp(h.Heartbeat)
		}
		out = append(out, Host{HostID: h.ID, HostName: h.Name, Zones: nonNilStrings(h.Zones), HostAddress: h.HostAddr,
			Addresses: nonNilStrings(h.Addresses), Version: h.Version, Pid: h.PID, StartTime: timestamp(h.Started),
			LastHeartbeat: beat, HeartbeatTimeoutSeconds: h.Timeout.Seconds(), State: h.State(now)})
	}
	return out, nil
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
