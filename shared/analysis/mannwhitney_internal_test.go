package analysis

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// bruteP enumerates every way to pick len(x) of the pooled values as the
// canary and returns the share whose U is at least (Greater), at most
// (Less) the observed one: the exact permutation p-value, computed
// independently of the DP. With midP, the observed U's own probability
// counts half.
func bruteP(x, y []float64, alt Alternative, midP bool) float64 {
	pooled := append(slices.Clone(x), y...)
	n, n1 := len(pooled), len(x)
	uOf := func(in []bool) float64 {
		var u float64
		for i := range n {
			for j := range n {
				if in[i] && !in[j] {
					switch {
					case pooled[i] > pooled[j]:
						u++
					case pooled[i] == pooled[j]:
						u += 0.5
					}
				}
			}
		}
		return u
	}
	obs := make([]bool, n)
	for i := range n1 {
		obs[i] = true
	}
	u0 := uOf(obs)
	var total, ge, le, eq float64
	for mask := 0; mask < 1<<n; mask++ {
		in := make([]bool, n)
		c := 0
		for i := range n {
			if mask&(1<<i) != 0 {
				in[i] = true
				c++
			}
		}
		if c != n1 {
			continue
		}
		u := uOf(in)
		total++
		if u >= u0-1e-9 {
			ge++
		}
		if u <= u0+1e-9 {
			le++
		}
		if math.Abs(u-u0) < 1e-9 {
			eq++
		}
	}
	if midP {
		ge -= eq / 2
		le -= eq / 2
	}
	switch alt {
	case Greater:
		return ge / total
	case Less:
		return le / total
	}
	return math.Min(1, 2*math.Min(ge, le)/total)
}

func TestMannWhitneyExactAgainstEnumeration(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 40 {
		n1, n2 := 2+rng.IntN(5), 2+rng.IntN(6)
		levels := 2 + rng.IntN(6) // few levels: many ties
		x, y := make([]float64, n1), make([]float64, n2)
		for i := range x {
			x[i] = float64(rng.IntN(levels) + 1)
		}
		for i := range y {
			y[i] = float64(rng.IntN(levels))
		}
		for _, alt := range []Alternative{Greater, Less, TwoSided} {
			got := MannWhitney(x, y, alt)
			want := bruteP(x, y, alt, got.Method == MethodExactBinary)
			if got.Method == MethodIdentical {
				continue
			}
			if math.Abs(got.P-want) > 1e-9 {
				t.Errorf("trial %d x=%v y=%v alt=%d: P=%v (%s), enumeration says %v", trial, x, y, alt, got.P, got.Method, want)
			}
		}
	}
}

func TestMannWhitneyKnown(t *testing.T) {
	got := MannWhitney([]float64{4, 5, 6}, []float64{1, 2, 3}, Greater)
	if got.U != 9 || math.Abs(got.P-0.05) > 1e-12 || got.Method != MethodExact {
		t.Errorf("x above y: got %+v, want U=9 P=0.05 exact", got)
	}
	got = MannWhitney([]float64{1, 2, 3}, []float64{4, 5, 6}, Greater)
	if got.U != 0 || got.P != 1 {
		t.Errorf("x below y, greater: got %+v, want U=0 P=1", got)
	}
	got = MannWhitney([]float64{2, 2}, []float64{2, 2, 2}, TwoSided)
	if got.Method != MethodIdentical || got.P != 1 || got.U != 3 {
		t.Errorf("identical: got %+v, want identical P=1 U=3", got)
	}
}

// TestNormalApproximation checks the normal path against ClickHouse's
// mannWhitneyUTest example (tests/queries/0_stateless/01560_mann_whitney):
// U=223, two-sided p=0.5426959774289482 with continuity correction.
func TestNormalApproximation(t *testing.T) {
	left := []float64{310, 195, 530, 155, 530, 245, 385, 450, 465, 545, 170, 180, 125, 180, 230, 75, 430, 480, 495, 295}
	right := []float64{116, 171, 176, 421, 111, 326, 481, 111, 346, 441, 261, 411, 206, 521, 456, 446, 296, 51, 426, 261}
	n1, n2 := float64(len(left)), float64(len(right))
	r := MannWhitney(left, right, TwoSided)
	if r.U != 223 {
		t.Fatalf("U = %v, want 223", r.U)
	}
	tie := tieTerm(left, right)
	n := n1 + n2
	variance := n1 * n2 / 12 * ((n + 1) - tie/(n*(n-1)))
	if p := normalP(r.U, n1*n2/2, variance, TwoSided); math.Abs(p-0.5426959774289482) > 1e-9 {
		t.Errorf("normal two-sided p = %.16f, want 0.5426959774289482", p)
	}
	// The exact p of the same data is close to the approximation.
	if math.Abs(r.P-0.5427) > 0.02 || r.Method != MethodExact {
		t.Errorf("exact p = %v (%s), want about 0.54", r.P, r.Method)
	}
}

func TestBinaryMatchesExactDP(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 30 {
		n1, n2 := 3+rng.IntN(20), 3+rng.IntN(30)
		x, y := make([]float64, n1), make([]float64, n2)
		for i := range x {
			if rng.Float64() < 0.3 {
				x[i] = 1
			}
		}
		for i := range y {
			if rng.Float64() < 0.2 {
				y[i] = 1
			}
		}
		x[0], y[0] = 1, 0 // two levels
		got := MannWhitney(x, y, Greater)
		// Recompute through the DP with doubled midranks.
		pooled := append(slices.Clone(x), y...)
		idx := make([]int, len(pooled))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return pooled[idx[a]] < pooled[idx[b]] })
		ranks2 := make([]int64, len(pooled))
		var r1 int64
		for i := 0; i < len(idx); {
			j := i
			for j < len(idx) && pooled[idx[j]] == pooled[idx[i]] {
				j++
			}
			for k := i; k < j; k++ {
				ranks2[k] = int64(i + 1 + j)
				if idx[k] < n1 {
					r1 += int64(i + 1 + j)
				}
			}
			i = j
		}
		// The binary path reports the mid-p: the exact tail less half the
		// observed count's probability.
		ge := exactP(ranks2, n1, r1, Greater)
		var point float64
		if r1 > 0 {
			point = ge - exactP(ranks2, n1, r1+1, Greater)
		}
		want := ge - point/2
		if got.Method != MethodExactBinary || math.Abs(got.P-want) > 1e-9 {
			t.Errorf("trial %d: binary P=%v (%s), DP says %v", trial, got.P, got.Method, want)
		}
	}
}

func TestHodgesLehmannAgainstSortedDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 30 {
		n1, n2 := 1+rng.IntN(40), 1+rng.IntN(60)
		x, y := make([]float64, n1), make([]float64, n2)
		for i := range x {
			x[i] = math.Round(rng.NormFloat64()*10+3) / 2
		}
		for i := range y {
			y[i] = math.Round(rng.NormFloat64()*10) / 2
		}
		var d []float64
		for _, a := range x {
			for _, b := range y {
				d = append(d, a-b)
			}
		}
		sort.Float64s(d)
		m := len(d)
		want := d[m/2]
		if m%2 == 0 {
			want = (d[m/2-1] + d[m/2]) / 2
		}
		s := HodgesLehmann(x, y, 0.95, tieTerm(x, y))
		if s.Estimate != want {
			t.Errorf("trial %d: estimate %v, want %v", trial, s.Estimate, want)
		}
		for k := 1; k <= m; k += 1 + m/7 {
			if got := kthDiff(sortedCopy(x), sortedCopy(y), int64(k)); got != d[k-1] {
				t.Errorf("trial %d: %d-th difference %v, want %v", trial, k, got, d[k-1])
			}
		}
		if s.Low > s.Estimate || s.High < s.Estimate {
			t.Errorf("trial %d: interval [%v, %v] misses estimate %v", trial, s.Low, s.High, s.Estimate)
		}
	}
	s := HodgesLehmann([]float64{4, 5, 6}, []float64{1, 2, 3}, 0.9, 0)
	if s.Estimate != 3 {
		t.Errorf("estimate = %v, want 3", s.Estimate)
	}
}

func sortedCopy(v []float64) []float64 {
	s := slices.Clone(v)
	sort.Float64s(s)
	return s
}

func TestNormalQuantile(t *testing.T) {
	for _, c := range []struct{ p, z float64 }{{0.5, 0}, {0.975, 1.959963984540054}, {0.995, 2.5758293035489}, {0.01, -2.326347874040841}} {
		if got := normalQuantile(c.p); math.Abs(got-c.z) > 1e-9 {
			t.Errorf("normalQuantile(%v) = %v, want %v", c.p, got, c.z)
		}
	}
}

// TestMannWhitneySymmetry checks, across every method, that swapping the
// samples mirrors U and the one-sided p-values.
func TestMannWhitneySymmetry(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for trial := range 60 {
		n1, n2 := 1+rng.IntN(80), 1+rng.IntN(80)
		levels := []int{2, 5, 1000}[trial%3]
		x, y := make([]float64, n1), make([]float64, n2)
		for i := range x {
			x[i] = float64(rng.IntN(levels))
		}
		for i := range y {
			y[i] = float64(rng.IntN(levels))
		}
		a, b := MannWhitney(x, y, Greater), MannWhitney(y, x, Less)
		if a.U+MannWhitney(y, x, Greater).U != float64(n1*n2) {
			t.Errorf("trial %d: U(x,y)+U(y,x) != n1*n2", trial)
		}
		if math.Abs(a.P-b.P) > 1e-9 || a.Method != b.Method || a.P < 0 || a.P > 1 {
			t.Errorf("trial %d (%s): P(x>y)=%v but P(y<x)=%v (%s)", trial, a.Method, a.P, b.P, b.Method)
		}
		two, less := MannWhitney(x, y, TwoSided), MannWhitney(x, y, Less)
		if low := math.Min(a.P, less.P); two.P < low-1e-12 || two.P > 1 {
			t.Errorf("trial %d: two-sided %v below the smaller one-sided %v", trial, two.P, low)
		}
	}
}

// TestCountTestMatchesExpandedValues: judging counts is judging the 0/1
// values they stand for.
func TestCountTestMatchesExpandedValues(t *testing.T) {
	expand := func(n Count) []float64 {
		v := make([]float64, n.Total)
		for i := range n.Events {
			v[i] = 1
		}
		return v
	}
	tests := []struct {
		name string
		c    Counts
	}{
		{"rare errors", Counts{Canary: Count{3, 300}, Baseline: Count{3, 2700}}},
		{"none in the canary", Counts{Canary: Count{0, 300}, Baseline: Count{5, 2700}}},
		{"all in the canary", Counts{Canary: Count{6, 300}, Baseline: Count{0, 2700}}},
		{"half fail", Counts{Canary: Count{150, 300}, Baseline: Count{100, 400}}},
		{"no errors", Counts{Canary: Count{0, 30}, Baseline: Count{0, 70}}},
		{"all errors", Counts{Canary: Count{30, 30}, Baseline: Count{70, 70}}},
	}
	for _, tt := range tests {
		for _, alt := range []Alternative{Greater, Less, TwoSided} {
			got := countTest(tt.c, alt)
			want := MannWhitney(expand(tt.c.Canary), expand(tt.c.Baseline), alt)
			if got.Method != want.Method || math.Abs(got.U-want.U) > 1e-9 || math.Abs(got.P-want.P) > 1e-12 || math.Abs(got.Z-want.Z) > 1e-9 {
				t.Errorf("%s, alternative %d: countTest = %+v, MannWhitney on the values = %+v", tt.name, alt, got, want)
			}
		}
	}
}
