package jsonvalue

// Object is a JSON object that keeps its keys in insertion order. The zero
// value is an empty object ready to use.
type Object struct {
	keys []string
	vals []any
	idx  map[string]int // built lazily once the object grows past indexThreshold
}

const indexThreshold = 16

// NewObject returns an empty object with room for n members.
func NewObject(n int) *Object {
	return &Object{keys: make([]string, 0, n), vals: make([]any, 0, n)}
}

// FromMembers returns an object with the given member names and values,
// which must have the same length and hold distinct names. The object takes
// ownership of vals; keys may be shared between objects (payload templates
// reuse one slice for every result) because no Object method ever writes
// into a keys slice it did not allocate itself.
func FromMembers(keys []string, vals []any) *Object {
	o := &Object{keys: keys[:len(keys):len(keys)], vals: vals}
	if len(keys) > indexThreshold {
		o.idx = make(map[string]int, len(keys))
		for i, k := range keys {
			o.idx[k] = i
		}
	}
	return o
}

// Len returns the number of members.
func (o *Object) Len() int {
	if o == nil {
		return 0
	}
	return len(o.keys)
}

// Keys returns the member names in order. The caller must not modify the slice.
func (o *Object) Keys() []string {
	if o == nil {
		return nil
	}
	return o.keys
}

// At returns the i-th member's name and value.
func (o *Object) At(i int) (string, any) { return o.keys[i], o.vals[i] }

func (o *Object) find(key string) int {
	if o == nil {
		return -1
	}
	if o.idx != nil {
		if i, ok := o.idx[key]; ok {
			return i
		}
		return -1
	}
	for i, k := range o.keys {
		if k == key {
			return i
		}
	}
	return -1
}

// Get returns the value of the named member and whether it exists.
func (o *Object) Get(key string) (any, bool) {
	i := o.find(key)
	if i < 0 {
		return nil, false
	}
	return o.vals[i], true
}

// Has reports whether the named member exists.
func (o *Object) Has(key string) bool { return o.find(key) >= 0 }

// Set sets the named member, keeping its position when it already exists and
// appending it otherwise.
func (o *Object) Set(key string, v any) {
	if i := o.find(key); i >= 0 {
		o.vals[i] = v
		return
	}
	o.keys = append(o.keys, key)
	o.vals = append(o.vals, v)
	if o.idx != nil {
		o.idx[key] = len(o.keys) - 1
	} else if len(o.keys) > indexThreshold {
		o.idx = make(map[string]int, len(o.keys)*2)
		for i, k := range o.keys {
			o.idx[k] = i
		}
	}
}

// Append adds a member without checking whether the key already exists; the
// caller guarantees it does not. It is the fast path for building objects
// whose keys are known to be distinct.
func (o *Object) Append(key string, v any) {
	o.keys = append(o.keys, key)
	o.vals = append(o.vals, v)
	if o.idx != nil {
		o.idx[key] = len(o.keys) - 1
	} else if len(o.keys) > indexThreshold {
		o.idx = make(map[string]int, len(o.keys)*2)
		for i, k := range o.keys {
			o.idx[k] = i
		}
	}
}

// Delete removes the named member if it exists, keeping the others' order.
func (o *Object) Delete(key string) {
	i := o.find(key)
	if i < 0 {
		return
	}
	keys := make([]string, 0, len(o.keys)-1)
	keys = append(append(keys, o.keys[:i]...), o.keys[i+1:]...)
	o.keys = keys
	o.vals = append(o.vals[:i], o.vals[i+1:]...)
	if o.idx != nil {
		delete(o.idx, key)
		for j := i; j < len(o.keys); j++ {
			o.idx[o.keys[j]] = j
		}
	}
}

// Copy returns a shallow copy of o with room for extra more members; the
// members' values are shared.
func (o *Object) Copy(extra int) *Object {
	c := &Object{
		keys: make([]string, len(o.keys), len(o.keys)+extra),
		vals: make([]any, len(o.vals), len(o.vals)+extra),
	}
	copy(c.keys, o.keys)
	copy(c.vals, o.vals)
	if o.idx != nil {
		c.idx = make(map[string]int, len(o.idx)+extra)
		for k, i := range o.idx {
			c.idx[k] = i
		}
	}
	return c
}

// With returns a copy of o in which key holds v (replaced in place or
// appended), leaving o unchanged. The copy shares o's key slice when key
// already exists, which is safe because no Object method writes into a key
// slice it shares.
func (o *Object) With(key string, v any) *Object {
	n := len(o.keys)
	if i := o.find(key); i >= 0 {
		c := newObjectVals(n)
		copy(c.vals, o.vals)
		c.vals[i] = v
		c.keys = o.keys[:n:n]
		return c
	}
	c := newObjectMembers(n + 1)
	copy(c.keys, o.keys)
	c.keys[n] = key
	copy(c.vals, o.vals)
	c.vals[n] = v
	if n+1 > indexThreshold {
		c.idx = make(map[string]int, n+1)
		for i, k := range c.keys {
			c.idx[k] = i
		}
	}
	return c
}

// Small objects are allocated together with their member arrays, so a
// copy-on-write update (With) costs one allocation instead of two or three.
type (
	objVals2 struct {
		o Object
		v [2]any
	}
	objVals4 struct {
		o Object
		v [4]any
	}
	objVals8 struct {
		o Object
		v [8]any
	}
	objMembers2 struct {
		o Object
		k [2]string
		v [2]any
	}
	objMembers4 struct {
		o Object
		k [4]string
		v [4]any
	}
	objMembers8 struct {
		o Object
		k [8]string
		v [8]any
	}
)

// newObjectVals returns an object whose vals has length n; keys is unset.
func newObjectVals(n int) *Object {
	switch {
	case n <= 2:
		p := new(objVals2)
		p.o.vals = p.v[:n]
		return &p.o
	case n <= 4:
		p := new(objVals4)
		p.o.vals = p.v[:n]
		return &p.o
	case n <= 8:
		p := new(objVals8)
		p.o.vals = p.v[:n]
		return &p.o
	}
	return &Object{vals: make([]any, n)}
}

// newObjectMembers returns an object whose keys and vals have length n.
func newObjectMembers(n int) *Object {
	switch {
	case n <= 2:
		p := new(objMembers2)
		p.o.keys, p.o.vals = p.k[:n], p.v[:n]
		return &p.o
	case n <= 4:
		p := new(objMembers4)
		p.o.keys, p.o.vals = p.k[:n], p.v[:n]
		return &p.o
	case n <= 8:
		p := new(objMembers8)
		p.o.keys, p.o.vals = p.k[:n], p.v[:n]
		return &p.o
	}
	return &Object{keys: make([]string, n), vals: make([]any, n)}
}

// MarshalJSON encodes the object compactly in key order.
func (o *Object) MarshalJSON() ([]byte, error) { return Marshal(o) }

// UnmarshalJSON decodes a JSON object, keeping key order.
func (o *Object) UnmarshalJSON(b []byte) error {
	v, err := Decode(b)
	if err != nil {
		return err
	}
	obj, ok := v.(*Object)
	if !ok {
		return &SyntaxError{Offset: 0, Msg: "not a JSON object"}
	}
	*o = *obj
	return nil
}
