package rules_test

import (
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/rules"
)

// ec2Event is the example event of the EventBridge documentation's
// "Event patterns" pages, with a few fields added for the operators.
const ec2Event = `{
  "version": "0",
  "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "EC2 Instance State-change Notification",
  "source": "aws.ec2",
  "account": "111122223333",
  "time": "2017-12-22T18:43:48Z",
  "region": "us-west-1",
  "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  "detail": {
    "instance-id": "i-1234567890abcdef0",
    "state": "terminated",
    "c-count": 5,
    "d-count": 3,
    "x-limit": 301.8,
    "source-ip": "10.0.0.123",
    "nothing": null,
    "flag": true,
    "location": "us-east-1",
    "filename": "image.png",
    "eventVersion": "1.0",
    "tags": ["blue", "prod"],
    "items": [{"name": "a", "size": 1}, {"name": "b", "size": 10}],
    "nested": {"deep": {"value": "Yes"}}
  }
}`

func TestMatch(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		want    bool
	}{
		{"exact source", `{"source":["aws.ec2"]}`, true},
		{"exact source mismatch", `{"source":["aws.s3"]}`, false},
		{"any of", `{"source":["aws.s3","aws.ec2"]}`, true},
		{"nested exact", `{"detail":{"state":["terminated"]}}`, true},
		{"nested mismatch", `{"detail":{"state":["running"]}}`, false},
		{"all fields must match", `{"source":["aws.ec2"],"detail":{"state":["running"]}}`, false},
		{"deep nesting", `{"detail":{"nested":{"deep":{"value":["Yes"]}}}}`, true},
		{"missing field", `{"detail":{"absent":["x"]}}`, false},
		{"number exact", `{"detail":{"c-count":[5]}}`, true},
		{"number exact float", `{"detail":{"c-count":[5.0]}}`, true},
		{"string does not match number", `{"detail":{"c-count":["5"]}}`, false},
		{"null matches null", `{"detail":{"nothing":[null]}}`, true},
		{"null does not match missing", `{"detail":{"absent":[null]}}`, false},
		{"boolean", `{"detail":{"flag":[true]}}`, true},
		{"boolean mismatch", `{"detail":{"flag":[false]}}`, false},
		{"event array any element", `{"detail":{"tags":["prod"]}}`, true},
		{"event array no element", `{"detail":{"tags":["dev"]}}`, false},
		{"array of objects", `{"detail":{"items":{"name":["b"]}}}`, true},
		{"resources array", `{"resources":["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"]}`, true},
		{"prefix", `{"detail":{"location":[{"prefix":"us-"}]}}`, true},
		{"prefix mismatch", `{"detail":{"location":[{"prefix":"eu-"}]}}`, false},
		{"prefix ignore case", `{"detail":{"location":[{"prefix":{"equals-ignore-case":"US-"}}]}}`, true},
		{"prefix case sensitive", `{"detail":{"location":[{"prefix":"US-"}]}}`, false},
		{"suffix", `{"detail":{"filename":[{"suffix":".png"}]}}`, true},
		{"suffix mismatch", `{"detail":{"filename":[{"suffix":".jpg"}]}}`, false},
		{"suffix ignore case", `{"detail":{"filename":[{"suffix":{"equals-ignore-case":".PNG"}}]}}`, true},
		{"prefix on number", `{"detail":{"c-count":[{"prefix":"5"}]}}`, false},
		{"equals ignore case", `{"detail":{"state":[{"equals-ignore-case":"TERMINATED"}]}}`, true},
		{"equals ignore case mismatch", `{"detail":{"state":[{"equals-ignore-case":"RUNNING"}]}}`, false},
		{"anything-but value", `{"detail":{"state":[{"anything-but":"initializing"}]}}`, true},
		{"anything-but excluded", `{"detail":{"state":[{"anything-but":"terminated"}]}}`, false},
		{"anything-but list", `{"detail":{"state":[{"anything-but":["stopped","overloaded"]}]}}`, true},
		{"anything-but list excluded", `{"detail":{"state":[{"anything-but":["stopped","terminated"]}]}}`, false},
		{"anything-but number", `{"detail":{"c-count":[{"anything-but":[100,200]}]}}`, true},
		{"anything-but number excluded", `{"detail":{"c-count":[{"anything-but":5}]}}`, false},
		{"anything-but missing field", `{"detail":{"absent":[{"anything-but":"x"}]}}`, false},
		{"anything-but prefix", `{"detail":{"state":[{"anything-but":{"prefix":"init"}}]}}`, true},
		{"anything-but prefix excluded", `{"detail":{"state":[{"anything-but":{"prefix":"term"}}]}}`, false},
		{"anything-but suffix excluded", `{"detail":{"filename":[{"anything-but":{"suffix":".png"}}]}}`, false},
		{"anything-but suffix", `{"detail":{"filename":[{"anything-but":{"suffix":".txt"}}]}}`, true},
		{"anything-but ignore case excluded", `{"detail":{"state":[{"anything-but":{"equals-ignore-case":["Terminated","Stopped"]}}]}}`, false},
		{"anything-but ignore case", `{"detail":{"state":[{"anything-but":{"equals-ignore-case":"Running"}}]}}`, true},
		{"anything-but wildcard excluded", `{"detail":{"filename":[{"anything-but":{"wildcard":"*.png"}}]}}`, false},
		{"numeric range", `{"detail":{"c-count":[{"numeric":[">",0,"<=",5]}]}}`, true},
		{"numeric range excluded", `{"detail":{"c-count":[{"numeric":[">",0,"<",5]}]}}`, false},
		{"numeric equals", `{"detail":{"d-count":[{"numeric":["=",3]}]}}`, true},
		{"numeric less", `{"detail":{"x-limit":[{"numeric":["<",301.9]}]}}`, true},
		{"numeric on string", `{"detail":{"state":[{"numeric":[">",0]}]}}`, false},
		{"numeric any element", `{"detail":{"items":{"size":[{"numeric":[">=",10]}]}}}`, true},
		{"exists true", `{"detail":{"state":[{"exists":true}]}}`, true},
		{"exists true missing", `{"detail":{"absent":[{"exists":true}]}}`, false},
		{"exists false missing", `{"detail":{"absent":[{"exists":false}]}}`, true},
		{"exists false present", `{"detail":{"state":[{"exists":false}]}}`, false},
		{"exists true null", `{"detail":{"nothing":[{"exists":true}]}}`, true},
		{"exists only on leaves", `{"detail":{"nested":[{"exists":true}]}}`, false},
		{"wildcard", `{"detail":{"filename":[{"wildcard":"im*.p*g"}]}}`, true},
		{"wildcard mismatch", `{"detail":{"filename":[{"wildcard":"im*.jpg"}]}}`, false},
		{"wildcard arn", `{"resources":[{"wildcard":"arn:aws:ec2:*:123456789012:instance/*"}]}`, true},
		{"wildcard no star is exact", `{"detail":{"filename":[{"wildcard":"image.png"}]}}`, true},
		{"wildcard escaped star", `{"detail":{"filename":[{"wildcard":"image\\*png"}]}}`, false},
		{"wildcard overlapping", `{"detail":{"eventVersion":[{"wildcard":"1*0"}]}}`, true},
		{"cidr", `{"detail":{"source-ip":[{"cidr":"10.0.0.0/24"}]}}`, true},
		{"cidr mismatch", `{"detail":{"source-ip":[{"cidr":"10.0.1.0/24"}]}}`, false},
		{"cidr not an ip", `{"detail":{"state":[{"cidr":"10.0.0.0/8"}]}}`, false},
		{"mixed any-of", `{"detail":{"state":[{"prefix":"run"},"terminated"]}}`, true},
		{"or top level", `{"$or":[{"source":["aws.s3"]},{"detail":{"c-count":[5]}}]}`, true},
		{"or none", `{"$or":[{"source":["aws.s3"]},{"detail":{"c-count":[6]}}]}`, false},
		{"or nested", `{"detail":{"$or":[{"c-count":[{"numeric":[">",10]}]},{"d-count":[{"numeric":["<",5]}]}]}}`, true},
		{"or with field", `{"source":["aws.ec2"],"$or":[{"detail":{"state":["x"]}},{"detail":{"flag":[true]}}]}`, true},
		{"or with failing field", `{"source":["aws.s3"],"$or":[{"detail":{"state":["x"]}},{"detail":{"flag":[true]}}]}`, false},
		{"or exists false", `{"detail":{"$or":[{"absent":[{"exists":false}]},{"state":["x"]}]}}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := rules.Compile([]byte(tt.pattern))
			if err != nil {
				t.Fatalf("Compile(%s): %v", tt.pattern, err)
			}
			if got := p.Match([]byte(ec2Event)); got != tt.want {
				t.Errorf("Match with %s = %v, want %v", tt.pattern, got, tt.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		want    string // substring of the error
	}{
		{"not json", `{`, "event pattern"},
		{"not object", `["a"]`, "must be a JSON object"},
		{"leaf not array", `{"source":"aws.ec2"}`, "source: a leaf value must be an array"},
		{"leaf number", `{"detail":{"n":5}}`, "detail.n: a leaf value must be an array"},
		{"empty array", `{"source":[]}`, "source: empty array"},
		{"empty object", `{"detail":{}}`, "detail: empty object"},
		{"nested array", `{"source":[["a"]]}`, "nested arrays"},
		{"unknown operator", `{"source":[{"regex":"a"}]}`, `unknown operator "regex"`},
		{"two operators", `{"source":[{"prefix":"a","suffix":"b"}]}`, "exactly one operator"},
		{"prefix number", `{"source":[{"prefix":5}]}`, "prefix takes a string"},
		{"exists string", `{"source":[{"exists":"yes"}]}`, "exists needs true or false"},
		{"numeric odd", `{"n":[{"numeric":[">"]}]}`, "numeric takes"},
		{"numeric bad op", `{"n":[{"numeric":["!=",1]}]}`, `unknown operator "!="`},
		{"numeric not number", `{"n":[{"numeric":[">","1"]}]}`, "is not a number"},
		{"numeric reversed", `{"n":[{"numeric":["<",1,">",0]}]}`, "lower bound"},
		{"numeric empty range", `{"n":[{"numeric":[">",5,"<",1]}]}`, "exceeds upper bound"},
		{"numeric equals pair", `{"n":[{"numeric":["=",1,"<",3]}]}`, "cannot be combined"},
		{"wildcard double star", `{"n":[{"wildcard":"a**b"}]}`, "consecutive"},
		{"wildcard bad escape", `{"n":[{"wildcard":"a\\b"}]}`, "backslash"},
		{"cidr bad", `{"n":[{"cidr":"10.0.0.0/99"}]}`, "cidr"},
		{"anything-but empty", `{"n":[{"anything-but":[]}]}`, "empty list"},
		{"anything-but object list", `{"n":[{"anything-but":[{"a":1}]}]}`, "strings or numbers"},
		{"anything-but unknown", `{"n":[{"anything-but":{"numeric":[">",1]}}]}`, "unsupported operator"},
		{"or not array", `{"$or":{"a":["b"]}}`, "$or must be an array"},
		{"or one alternative", `{"$or":[{"a":["b"]}]}`, "at least two"},
		{"or empty alternative", `{"$or":[{"a":["b"]},{}]}`, "non-empty object"},
		{"trailing data", `{"a":["b"]} {}`, "trailing data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rules.Compile([]byte(tt.pattern))
			if err == nil {
				t.Fatalf("Compile(%s) = nil error, want one containing %q", tt.pattern, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Compile(%s) error = %q, want it to contain %q", tt.pattern, err, tt.want)
			}
		})
	}
}

func TestMatchNonObjectEvents(t *testing.T) {
	p := rules.MustCompile(`{"detail":{"absent":[{"exists":false}]}}`)
	for _, ev := range []string{``, `[]`, `"x"`, `{`, `null`} {
		if p.Match([]byte(ev)) {
			t.Errorf("Match(%q) = true, want false for an event that is not an object", ev)
		}
	}
	var zero rules.Pattern
	if zero.Match([]byte(`{}`)) {
		t.Error("zero Pattern matched, want no match")
	}
}

func TestMatchValue(t *testing.T) {
	p := rules.MustCompile(`{"source":["aws.ec2"]}`)
	if !p.MatchValue(map[string]any{"source": "aws.ec2"}) {
		t.Error("MatchValue(source aws.ec2) = false, want true")
	}
	if p.MatchValue(map[string]any{"source": "aws.s3"}) {
		t.Error("MatchValue(source aws.s3) = true, want false")
	}
}

func FuzzCompileMatch(f *testing.F) {
	f.Add([]byte(`{"source":["aws.ec2"],"detail":{"state":[{"anything-but":{"prefix":"x"}}]}}`), []byte(ec2Event))
	f.Add([]byte(`{"$or":[{"a":[{"numeric":[">",1,"<=",2]}]},{"b":[{"wildcard":"*x*"}]}]}`), []byte(`{"a":1.5,"b":"yxz"}`))
	f.Add([]byte(`{"a":[{"cidr":"::1/128"}],"b":[{"exists":false}]}`), []byte(`{"a":["::1"],"c":null}`))
	all, err := rules.All()
	if err != nil {
		f.Fatal(err)
	}
	for _, r := range all {
		for _, name := range r.Samples.Match {
			f.Add([]byte(r.Pattern), readEvent(f, name))
		}
	}
	f.Fuzz(func(t *testing.T, pattern, event []byte) {
		p, err := rules.Compile(pattern)
		if err != nil {
			if p != nil {
				t.Fatalf("Compile returned a pattern with error %v", err)
			}
			return
		}
		first := p.Match(event)
		if again := p.Match(event); again != first {
			t.Fatalf("Match is not deterministic: %v then %v", first, again)
		}
	})
}
