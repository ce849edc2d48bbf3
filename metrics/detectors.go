package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// detectorBuckets are the per-detector duration buckets, in seconds:
// 250ns to 100ms. A detector takes from well under a microsecond (a
// header check) to some tens (payload on a large body); a detector that
// calls out (a store, a model) shows up in the top buckets.
var detectorBuckets = []float64{
	250e-9, 500e-9, 1e-6, 2e-6, 5e-6, 10e-6, 25e-6, 50e-6, 100e-6, 250e-6,
	1e-3, 5e-3, 25e-3, 100e-3,
}

func newDetectorDurationVec() *prometheus.HistogramVec {
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "warden_detector_duration_seconds",
		Help:    "Time each detector took to decide about a request, by detector; the sum over detectors is most of warden_decision_duration_seconds.",
		Buckets: detectorBuckets,
	}, []string{"detector"})
}

// DetectorLatency returns the function that records how long the named
// detector took on one request. The Guard calls it once per detector when
// it builds its pipeline and calls the result on the request path, where
// it does not allocate. The detector's series appears with its first
// request; names past MaxDetectorLabels share "other".
func (m *Metrics) DetectorLatency(name string) func(time.Duration) {
	m.detMu.Lock()
	label := detectorLabel(name)
	if _, ok := m.timedDetectors[label]; !ok {
		if len(m.timedDetectors) >= MaxDetectorLabels {
			label = "other"
		} else {
			m.timedDetectors[label] = struct{}{}
		}
	}
	m.detMu.Unlock()
	h := sync.OnceValue(func() prometheus.Observer { return m.detectorDuration.WithLabelValues(label) })
	return func(d time.Duration) { h().Observe(d.Seconds()) }
}
