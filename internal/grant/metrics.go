package grant

import "github.com/prometheus/client_golang/prometheus"

// Metrics counts token outcomes by grant type and error code.
type Metrics struct {
	issuedTotal *prometheus.CounterVec
	failedTotal *prometheus.CounterVec
}

// NewMetrics registers the token counters with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		issuedTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tokenhook_tokens_issued_total", Help: "Access tokens issued, by grant type.",
		}, []string{"grant_type"}),
		failedTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tokenhook_token_requests_failed_total", Help: "Token requests answered with an error, by grant type and OAuth error code.",
		}, []string{"grant_type", "error"}),
	}
	reg.MustRegister(m.issuedTotal, m.failedTotal)
	return m
}

func (m *Metrics) issued(grant string) { m.issuedTotal.WithLabelValues(grantLabel(grant)).Inc() }

func (m *Metrics) failed(grant, code string) {
	m.failedTotal.WithLabelValues(grantLabel(grant), code).Inc()
}

// grantLabel bounds the label's values: an attacker sending random grant
// types must not grow the metric set without end.
func grantLabel(g string) string {
	switch g {
	case "client_credentials", "password", "http://auth0.com/oauth/grant-type/password-realm", "":
		return g
	}
	return "other"
}
