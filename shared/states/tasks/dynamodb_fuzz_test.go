package tasks

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// FuzzDecodeAttr feeds DynamoDB JSON attribute values from task parameters
// (outside input) to the decoder: it must not panic, and whatever decodes
// must encode back to a value that decodes to the same thing.
func FuzzDecodeAttr(f *testing.F) {
	for _, seed := range []string{
		`{"S":"x"}`, `{"N":"1.5"}`, `{"B":"aGk="}`, `{"BOOL":true}`, `{"NULL":true}`,
		`{"SS":["a","b"]}`, `{"NS":["1"]}`, `{"BS":["aGk="]}`,
		`{"L":[{"S":"x"},{"M":{"k":{"N":"2"}}}]}`, `{"M":{}}`, `{"S":1}`, `{}`, `[]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		a, err := decodeAttr(raw)
		if err != nil || a == nil {
			return
		}
		enc := encodeAttrMap(map[string]types.AttributeValue{"k": a})
		b, err := json.Marshal(enc)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		var back map[string]json.RawMessage
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("re-read %s: %v", b, err)
		}
		if _, err := decodeAttr(back["k"]); err != nil {
			t.Fatalf("round trip of %s failed: %v", raw, err)
		}
	})
}
