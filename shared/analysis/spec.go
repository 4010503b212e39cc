package analysis

import "github.com/shipwave/shipwave/shared/release"

// FromRelease returns the judge's config for a step's analysis block as the
// pipeline spec wrote it (release.Analysis); per-period sources set
// PerPeriod on the result.
func FromRelease(a release.Analysis) Config {
	c := Config{PassScore: a.PassScore, MarginalScore: a.MarginalScore, MinSamples: a.MinSamples, Confidence: a.Confidence}
	for _, m := range a.Metrics {
		c.Metrics = append(c.Metrics, Metric{
			Name: m.Name, Direction: Direction(m.Direction), Weight: m.Weight,
			Effect: m.Effect, Critical: m.Critical, SlowerThan: m.SlowerThan,
		})
	}
	return c
}
