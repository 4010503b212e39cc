package jsonata

import (
	"math"
	"strconv"
	"strings"
)

// fnFormatNumber is $formatNumber(number, picture) for the common XPath
// pictures: literal prefix and suffix, '0' and '#' digits, ',' grouping, '.'
// decimal separator and a '%' or '‰' suffix. Exponent pictures and the
// options argument are not supported.
func fnFormatNumber(_ *evaluator, args []any, _ any) (any, error) {
	n, ok, err := numArg(args, 0, "formatNumber")
	if !ok || err != nil {
		return Undefined, err
	}
	pic, _, err := strArg(args, 1, "formatNumber")
	if err != nil {
		return nil, err
	}
	if len(args) > 2 && !IsUndefined(args[2]) {
		return nil, errorf("D3136", 0, "The options argument of $formatNumber is not supported by this engine")
	}
	isActive := func(r rune) bool { return strings.ContainsRune("0123456789#.,%‰", r) }
	runes := []rune(pic)
	start, end := -1, -1
	for i, r := range runes {
		if isActive(r) && r != '%' && r != '‰' {
			if start < 0 {
				start = i
			}
			end = i + 1
		}
	}
	if start < 0 {
		return nil, errorf("D3085", 0, "A sub-picture must contain at least one character that is either an optional digit sign or a member of the decimal digit family")
	}
	prefix, body, suffix := string(runes[:start]), string(runes[start:end]), string(runes[end:])
	if strings.ContainsRune(prefix+suffix, '%') {
		n *= 100
	} else if strings.ContainsRune(prefix+suffix, '‰') {
		n *= 1000
	}
	intPic, fracPic, _ := strings.Cut(body, ".")
	if strings.Contains(fracPic, ".") {
		return nil, errorf("D3081", 0, "A sub-picture cannot contain more than one decimal separator")
	}
	minInt := strings.Count(intPic, "0")
	minFrac := strings.Count(fracPic, "0")
	maxFrac := minFrac + strings.Count(fracPic, "#")
	group := 0
	if i := strings.LastIndexByte(intPic, ','); i >= 0 {
		group = len(intPic) - i - 1
	}
	neg := n < 0
	abs := math.Abs(n)
	scale := math.Pow(10, float64(maxFrac))
	abs = math.RoundToEven(abs*scale) / scale
	digits := strconv.FormatFloat(abs, 'f', maxFrac, 64)
	ip, fp, _ := strings.Cut(digits, ".")
	for len(fp) > minFrac && strings.HasSuffix(fp, "0") {
		fp = fp[:len(fp)-1]
	}
	if ip == "0" && minInt == 0 {
		ip = ""
	}
	for len(ip) < minInt {
		ip = "0" + ip
	}
	if group > 0 {
		var b strings.Builder
		for i, d := range ip {
			if i > 0 && (len(ip)-i)%group == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(d)
		}
		ip = b.String()
	}
	out := ip
	if fp != "" {
		out += "." + fp
	}
	if neg && abs != 0 {
		out = "-" + out
	}
	return prefix + out + suffix, nil
}
