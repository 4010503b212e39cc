package awsfake

import (
	"encoding/xml"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// The awsquery protocol flattens nested input into form fields such as
// "DefaultActions.member.1.ForwardConfig.TargetGroups.member.2.Weight", and
// the XML responses nest the same names (<DefaultActions><member>…). The
// fakes keep nested values as such flattened maps and render them to XML
// through a tree, so whatever structure the SDK sends comes back unchanged.

// flat is a flattened awsquery structure: dotted path → value.
type flat map[string]string

// sub returns the fields under prefix+".", with the prefix removed.
func (f flat) sub(prefix string) flat {
	out := flat{}
	p := prefix + "."
	for k, v := range f {
		if rest, ok := strings.CutPrefix(k, p); ok {
			out[rest] = v
		}
	}
	return out
}

// members returns the list under prefix ("X.member.N…"), ordered by N.
func (f flat) members(prefix string) []flat {
	byIndex := map[int]flat{}
	for k, v := range f.sub(prefix + ".member") {
		idx, rest, _ := strings.Cut(k, ".")
		n, err := strconv.Atoi(idx)
		if err != nil {
			continue
		}
		if byIndex[n] == nil {
			byIndex[n] = flat{}
		}
		if rest == "" {
			byIndex[n][""] = v
		} else {
			byIndex[n][rest] = v
		}
	}
	idx := make([]int, 0, len(byIndex))
	for n := range byIndex {
		idx = append(idx, n)
	}
	sort.Ints(idx)
	out := make([]flat, 0, len(idx))
	for _, n := range idx {
		out = append(out, byIndex[n])
	}
	return out
}

// put copies g into f under prefix.
func (f flat) put(prefix string, g flat) {
	for k, v := range g {
		if k == "" {
			f[prefix] = v
		} else {
			f[prefix+"."+k] = v
		}
	}
}

// putList stores items as prefix.member.1…N.
func (f flat) putList(prefix string, items []flat) {
	for i, it := range items {
		f.put(prefix+".member."+strconv.Itoa(i+1), it)
	}
}

// xmlNode is one element of a rendered response.
type xmlNode struct {
	text     string
	children map[string]*xmlNode
}

func (n *xmlNode) child(name string) *xmlNode {
	if n.children == nil {
		n.children = map[string]*xmlNode{}
	}
	c, ok := n.children[name]
	if !ok {
		c = &xmlNode{}
		n.children[name] = c
	}
	return c
}

func (f flat) tree() *xmlNode {
	root := &xmlNode{}
	for k, v := range f {
		n := root
		for _, part := range strings.Split(k, ".") {
			n = n.child(part)
		}
		n.text = v
	}
	return root
}

// write renders n's children; numbered children of a "member" element become
// repeated <member> elements in index order.
func (n *xmlNode) write(b *strings.Builder) {
	names := make([]string, 0, len(n.children))
	for name := range n.children {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c := n.children[name]
		if name == "member" && c.text == "" && len(c.children) > 0 {
			idx := make([]int, 0, len(c.children))
			for k := range c.children {
				i, _ := strconv.Atoi(k)
				idx = append(idx, i)
			}
			sort.Ints(idx)
			for _, i := range idx {
				m := c.children[strconv.Itoa(i)]
				b.WriteString("<member>")
				if len(m.children) == 0 {
					_ = xml.EscapeText(b2w{b}, []byte(m.text))
				}
				m.write(b)
				b.WriteString("</member>")
			}
			continue
		}
		b.WriteString("<" + name + ">")
		if len(c.children) == 0 {
			_ = xml.EscapeText(b2w{b}, []byte(c.text))
		}
		c.write(b)
		b.WriteString("</" + name + ">")
	}
}

type b2w struct{ b *strings.Builder }

func (w b2w) Write(p []byte) (int, error) { return w.b.Write(p) }

// writeQueryResult writes an awsquery success response for op in namespace.
func writeQueryResult(w http.ResponseWriter, namespace, op string, result flat, requestID string) {
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString("<" + op + "Response xmlns=\"" + namespace + "\"><" + op + "Result>")
	result.tree().write(&b)
	b.WriteString("</" + op + "Result><ResponseMetadata><RequestId>" + requestID + "</RequestId></ResponseMetadata></" + op + "Response>")
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(b.String()))
}

// writeQueryError writes an awsquery error response.
func writeQueryError(w http.ResponseWriter, status int, code, message, requestID string) {
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString("<ErrorResponse><Error><Type>" + typ + "</Type><Code>")
	_ = xml.EscapeText(b2w{&b}, []byte(code))
	b.WriteString("</Code><Message>")
	_ = xml.EscapeText(b2w{&b}, []byte(message))
	b.WriteString("</Message></Error><RequestId>" + requestID + "</RequestId></ErrorResponse>")
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}
