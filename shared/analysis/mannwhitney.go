package analysis

import (
	"math"
	"slices"
	"sort"
)

// Alternative is the hypothesis a Mann-Whitney test is one- or two-sided
// against: the canary's values are greater, less, or different.
type Alternative int

// Alternatives.
const (
	Greater Alternative = iota
	Less
	TwoSided
)

// Method names how a p-value was computed.
type Method string

// Methods.
const (
	// MethodExact is the exact permutation distribution of U given the tie
	// pattern, used for small samples (n1+n2 <= ExactLimit).
	MethodExact Method = "exact"
	// MethodExactBinary is the exact distribution for data with two distinct
	// values (error indicators): the rank sum is then a function of how many
	// canary values are the larger one, which is hypergeometric (the test
	// is Fisher's exact test on the 2x2 table). P is Lancaster's mid-p (the
	// tail beyond the observed count plus half its probability): the plain
	// exact p of so discrete a statistic is far below its nominal level
	// with a handful of errors, and the mid-p keeps the size near nominal
	// while recovering the power (docs/benchmarks.md).
	MethodExactBinary Method = "exact-binary"
	// MethodNormal is the normal approximation with tie and continuity
	// corrections.
	MethodNormal Method = "normal"
	// MethodIdentical marks samples that hold one distinct value between
	// them: there is nothing to test and p is 1.
	MethodIdentical Method = "identical"
)

// ExactLimit is the largest pooled sample size whose p-value is computed
// from the exact permutation distribution; larger ones use the normal
// approximation unless the data are binary.
const ExactLimit = 60

// UTest is the result of a Mann-Whitney U test of x (canary) against y
// (baseline).
type UTest struct {
	// U is the canary's statistic: the number of pairs (x_i, y_j) with
	// x_i > y_j, plus half the number of ties. Its mean under the null
	// hypothesis is n1*n2/2.
	U float64 `json:"u"`
	// Z is the standardized statistic (tie-corrected, without continuity
	// correction); 0 when the variance is 0.
	Z float64 `json:"z"`
	// P is the p-value for the requested alternative.
	P      float64 `json:"p"`
	Method Method  `json:"method"`
}

// MannWhitney tests whether x tends to be greater (Greater), less (Less) or
// different (TwoSided) than y. Ties get midranks. The p-value is exact for
// small samples and for two-valued data, and otherwise the normal
// approximation with the tie-corrected variance
//
//	var(U) = n1*n2/12 * ((N+1) - sum(t^3-t) / (N*(N-1)))
//
// and a continuity correction of 1/2. Both samples must be non-empty.
func MannWhitney(x, y []float64, alt Alternative) UTest {
	n1, n2 := len(x), len(y)
	n := n1 + n2
	pooled := make([]obs, 0, n)
	for _, v := range x {
		pooled = append(pooled, obs{v, true})
	}
	for _, v := range y {
		pooled = append(pooled, obs{v, false})
	}
	slices.SortFunc(pooled, func(a, b obs) int { return cmpFloat(a.v, b.v) })
	// ranks2 are doubled midranks, integers.
	ranks2 := make([]int64, n)
	var r1x2 int64 // doubled rank sum of x
	var tieSum float64
	groups := 0
	for i := 0; i < n; {
		j := i
		for j < n && pooled[j].v == pooled[i].v {
			j++
		}
		t := j - i
		mid2 := int64(i + 1 + j) // (i+1 + j) = 2 * midrank of ranks i+1..j
		for k := i; k < j; k++ {
			ranks2[k] = mid2
			if pooled[k].canary {
				r1x2 += mid2
			}
		}
		tieSum += float64(t)*float64(t)*float64(t) - float64(t)
		groups++
		i = j
	}
	u2 := r1x2 - int64(n1)*int64(n1+1) // doubled U
	res := UTest{U: float64(u2) / 2}
	mean := float64(n1) * float64(n2) / 2
	variance := float64(n1) * float64(n2) / 12 * (float64(n+1) - tieSum/(float64(n)*float64(n-1)))
	if variance > 0 {
		res.Z = (res.U - mean) / math.Sqrt(variance)
	}
	switch {
	case groups <= 1:
		res.P, res.Method = 1, MethodIdentical
	case groups == 2:
		// The canary holds k of the K larger values; U = k*n2' + ... is
		// monotone in k, so the exact tail is hypergeometric in k.
		var k, big int
		top := pooled[n-1].v
		for _, o := range pooled {
			if o.v == top {
				big++
				if o.canary {
					k++
				}
			}
		}
		res.P, res.Method = hypergeomP(n, big, n1, k, alt), MethodExactBinary
	case n <= ExactLimit:
		res.P, res.Method = exactP(ranks2, n1, r1x2, alt), MethodExact
	default:
		res.P, res.Method = normalP(res.U, mean, variance, alt), MethodNormal
	}
	return res
}

// countTest is MannWhitney on the 0/1 values that counts stand for
// (Events ones and Total-Events zeros per side), computed from the counts
// alone: U counts the canary's ones above the baseline's zeros plus half
// the ties, and the p-value is the exact binary one (MethodExactBinary).
func countTest(c Counts, alt Alternative) UTest {
	n1, n2 := float64(c.Canary.Total), float64(c.Baseline.Total)
	k, m := float64(c.Canary.Events), float64(c.Baseline.Events)
	res := UTest{U: k*(n2-m) + 0.5*(k*m+(n1-k)*(n2-m))}
	n := n1 + n2
	big := k + m
	if big == 0 || big == n {
		res.P, res.Method = 1, MethodIdentical
		return res
	}
	// Ties: two groups of sizes big and n-big.
	tieSum := big*big*big - big + (n-big)*(n-big)*(n-big) - (n - big)
	variance := n1 * n2 / 12 * ((n + 1) - tieSum/(n*(n-1)))
	if variance > 0 {
		res.Z = (res.U - n1*n2/2) / math.Sqrt(variance)
	}
	res.P = hypergeomP(int(c.Canary.Total+c.Baseline.Total), int(c.Canary.Events+c.Baseline.Events), int(c.Canary.Total), int(c.Canary.Events), alt)
	res.Method = MethodExactBinary
	return res
}

type obs struct {
	v      float64
	canary bool
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// normalP is the normal approximation with continuity correction, as R's
// wilcox.test(correct = TRUE) computes it.
func normalP(u, mean, variance float64, alt Alternative) float64 {
	if variance <= 0 {
		return 1
	}
	sd := math.Sqrt(variance)
	var p float64
	switch alt {
	case Greater:
		p = upperTail((u - mean - 0.5) / sd)
	case Less:
		p = upperTail(-(u - mean + 0.5) / sd)
	default:
		d := math.Abs(u-mean) - 0.5
		p = 2 * upperTail(d/sd)
	}
	return clamp01(p)
}

// upperTail is P(Z > z) for a standard normal Z.
func upperTail(z float64) float64 { return 0.5 * math.Erfc(z/math.Sqrt2) }

func clamp01(p float64) float64 { return math.Min(1, math.Max(0, p)) }

// exactP computes the permutation distribution of the doubled rank sum of
// n1 items drawn from the pooled doubled ranks, by dynamic programming over
// items (counts as float64: exact up to 2^53, relative error ~1e-16 above).
func exactP(ranks2 []int64, n1 int, r1x2 int64, alt Alternative) float64 {
	var maxSum int64
	for _, r := range ranks2 {
		maxSum += r
	}
	// ways[k][s]: subsets of size k with doubled rank sum s.
	ways := make([][]float64, n1+1)
	for k := range ways {
		ways[k] = make([]float64, maxSum+1)
	}
	ways[0][0] = 1
	for i, r := range ranks2 {
		for k := min(i+1, n1); k >= 1; k-- {
			prev, cur := ways[k-1], ways[k]
			for s := maxSum; s >= r; s-- {
				if prev[s-r] != 0 {
					cur[s] += prev[s-r]
				}
			}
		}
	}
	var total, le, ge float64
	for s, w := range ways[n1] {
		total += w
		if int64(s) <= r1x2 {
			le += w
		}
		if int64(s) >= r1x2 {
			ge += w
		}
	}
	switch alt {
	case Greater:
		return clamp01(ge / total)
	case Less:
		return clamp01(le / total)
	}
	return clamp01(2 * math.Min(le, ge) / total)
}

// hypergeomP is the mid-p tail probability of k, the number of the big
// larger values that fall among n1 draws from n, under the hypergeometric
// distribution.
func hypergeomP(n, big, n1, k int, alt Alternative) float64 {
	lo, hi := max(0, n1-(n-big)), min(n1, big)
	pmf := func(j int) float64 {
		return math.Exp(lchoose(big, j) + lchoose(n-big, n1-j) - lchoose(n, n1))
	}
	var le, ge float64
	for j := lo; j <= hi; j++ {
		p := pmf(j)
		if j == k {
			p /= 2
		}
		if j <= k {
			le += p
		}
		if j >= k {
			ge += p
		}
	}
	switch alt {
	case Greater:
		return clamp01(ge)
	case Less:
		return clamp01(le)
	}
	return clamp01(2 * math.Min(le, ge))
}

func lchoose(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}

// Shift is the Hodges–Lehmann estimate of the location shift of x over y
// (the median of all n1*n2 differences x_i - y_j) with a distribution-free
// confidence interval from the order statistics of the same differences,
// as R's wilcox.test(conf.int = TRUE) and Kayenta's MannWhitney report it.
type Shift struct {
	Estimate float64 `json:"estimate"`
	Low      float64 `json:"low"`
	High     float64 `json:"high"`
}

// HodgesLehmann returns the shift estimate of x over y and its two-sided
// confidence interval at level conf (0.5–0.9999). The interval's bounds are
// the C-th smallest and C-th largest differences with
// C = floor(n1*n2/2 - z * sd(U)) (at least 1), sd tie-corrected. Order
// statistics of the differences are found by bisection with a two-pointer
// count, O((n1+n2) log) each, so large samples need no n1*n2 array; values
// are exact to floating-point precision. tieSum is sum(t^3-t) over the tie
// groups of the pooled samples. Empty samples give a zero Shift.
func HodgesLehmann(x, y []float64, conf float64, tieSum float64) Shift {
	if len(x) == 0 || len(y) == 0 {
		return Shift{}
	}
	xs, ys := slices.Clone(x), slices.Clone(y)
	sort.Float64s(xs)
	sort.Float64s(ys)
	n1, n2 := len(xs), len(ys)
	m := int64(n1) * int64(n2)
	var est float64
	if m%2 == 1 {
		est = kthDiff(xs, ys, m/2+1)
	} else {
		est = (kthDiff(xs, ys, m/2) + kthDiff(xs, ys, m/2+1)) / 2
	}
	n := float64(n1 + n2)
	sd := math.Sqrt(float64(n1) * float64(n2) / 12 * ((n + 1) - tieSum/(n*(n-1))))
	z := normalQuantile(1 - (1-conf)/2)
	c := int64(math.Floor(float64(m)/2 - z*sd))
	c = max(1, min(c, (m+1)/2))
	return Shift{Estimate: est, Low: kthDiff(xs, ys, c), High: kthDiff(xs, ys, m+1-c)}
}

// kthDiff returns the k-th smallest (1-based) of the differences xs[i]-ys[j]
// of sorted xs and ys. It bisects on the value, snapping the upper end to
// an actual difference, until no difference lies between the ends.
func kthDiff(xs, ys []float64, k int64) float64 {
	lo := xs[0] - ys[len(ys)-1] // the smallest difference
	hi := xs[len(xs)-1] - ys[0] // the largest
	if countLE(xs, ys, lo) >= k {
		return lo
	}
	// Invariant: count(lo) < k <= count(hi), hi an actual difference; the
	// answer is the smallest difference above lo once that is hi.
	for {
		if minDiffGT(xs, ys, lo) >= hi {
			return hi
		}
		mid := lo + (hi-lo)/2
		if mid <= lo || mid >= hi {
			return hi
		}
		if countLE(xs, ys, mid) >= k {
			hi = maxDiffLE(xs, ys, mid)
		} else {
			lo = mid
		}
	}
}

// minDiffGT returns the smallest difference xs[i]-ys[j] > d, or +Inf.
func minDiffGT(xs, ys []float64, d float64) float64 {
	best := math.Inf(1)
	p := 0 // ys[:p] are the ys with x-y > d: a prefix growing with x
	for _, x := range xs {
		for p < len(ys) && x-ys[p] > d {
			p++
		}
		if p > 0 {
			if v := x - ys[p-1]; v < best {
				best = v
			}
		}
	}
	return best
}

// countLE counts pairs with xs[i]-ys[j] <= d.
func countLE(xs, ys []float64, d float64) int64 {
	// For each x (ascending) count the ys with x-y <= d: a suffix of ys
	// whose start only moves right as x grows (rounding is monotone, so
	// this holds for the computed differences too).
	var c int64
	first := 0
	for _, x := range xs {
		for first < len(ys) && x-ys[first] > d {
			first++
		}
		c += int64(len(ys) - first)
	}
	return c
}

// maxDiffLE returns the largest difference xs[i]-ys[j] <= d.
func maxDiffLE(xs, ys []float64, d float64) float64 {
	best := math.Inf(-1)
	first := 0
	for _, x := range xs {
		for first < len(ys) && x-ys[first] > d {
			first++
		}
		if first < len(ys) {
			if v := x - ys[first]; v <= d && v > best {
				best = v
			}
		}
	}
	return best
}

// normalQuantile is the inverse of the standard normal CDF, by bisection
// on math.Erfc (accurate to about 1e-12).
func normalQuantile(p float64) float64 {
	if p <= 0 {
		return math.Inf(-1)
	}
	if p >= 1 {
		return math.Inf(1)
	}
	lo, hi := -40.0, 40.0
	for range 200 {
		mid := (lo + hi) / 2
		if 1-upperTail(mid) < p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// tieTerm returns sum(t^3-t) over the tie groups of the pooled samples.
func tieTerm(x, y []float64) float64 {
	all := append(slices.Clone(x), y...)
	sort.Float64s(all)
	var s float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j] == all[i] {
			j++
		}
		t := float64(j - i)
		s += t*t*t - t
		i = j
	}
	return s
}
