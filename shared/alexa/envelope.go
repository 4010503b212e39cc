package alexa

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/shipwave/shipwave/shared/release"
)

// Request is the part of an Alexa request body the skill reads.
type Request struct {
	Version string `json:"version"`
	Session struct {
		SessionID string `json:"sessionId"`
		User      struct {
			UserID string `json:"userId"`
		} `json:"user"`
	} `json:"session"`
	Context struct {
		System struct {
			User struct {
				UserID string `json:"userId"`
			} `json:"user"`
			Person *struct {
				PersonID string `json:"personId"`
			} `json:"person"`
		} `json:"System"`
	} `json:"context"`
	Request struct {
		Type      string  `json:"type"`
		RequestID string  `json:"requestId"`
		Timestamp string  `json:"timestamp"`
		Locale    string  `json:"locale"`
		Intent    *Intent `json:"intent"`
		Reason    string  `json:"reason"`
	} `json:"request"`
}

// Intent is the intent of an IntentRequest.
type Intent struct {
	Name string `json:"name"`
	// ConfirmationStatus is NONE, CONFIRMED or DENIED.
	ConfirmationStatus string          `json:"confirmationStatus"`
	Slots              map[string]Slot `json:"slots"`
}

// Slot is one slot value.
type Slot struct {
	Name               string `json:"name"`
	Value              string `json:"value"`
	ConfirmationStatus string `json:"confirmationStatus,omitempty"`
}

// ParseRequest decodes a verified request body. Malformed bodies are
// release.ErrInvalid errors naming the field.
func ParseRequest(body []byte) (Request, error) {
	var r Request
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&r); err != nil {
		return Request{}, release.Errorf(release.ErrInvalid, "alexa request: %v", err)
	}
	switch {
	case r.Request.Type == "":
		return Request{}, release.Errorf(release.ErrInvalid, "alexa request: request.type is required")
	case r.Request.RequestID == "":
		return Request{}, release.Errorf(release.ErrInvalid, "alexa request: request.requestId is required")
	case len(r.Request.RequestID) > 256:
		return Request{}, release.Errorf(release.ErrInvalid, "alexa request: request.requestId longer than 256 bytes")
	case r.Request.Type == "IntentRequest" && (r.Request.Intent == nil || r.Request.Intent.Name == ""):
		return Request{}, release.Errorf(release.ErrInvalid, "alexa request: request.intent.name is required for an IntentRequest")
	}
	if in := r.Request.Intent; in != nil {
		switch in.ConfirmationStatus {
		case "", "NONE", "CONFIRMED", "DENIED":
		default:
			return Request{}, release.Errorf(release.ErrInvalid, "alexa request: request.intent.confirmationStatus %q is not NONE, CONFIRMED or DENIED", clip(in.ConfirmationStatus))
		}
	}
	return r, nil
}

// slot returns a slot's value, or "".
func (i *Intent) slot(name string) string {
	if i == nil {
		return ""
	}
	return i.Slots[name].Value
}

// Response is an Alexa response body.
type Response struct {
	Version  string       `json:"version"`
	Response ResponseBody `json:"response"`
}

// ResponseBody is the response proper.
type ResponseBody struct {
	OutputSpeech     *OutputSpeech `json:"outputSpeech,omitempty"`
	Card             *Card         `json:"card,omitempty"`
	Reprompt         *Reprompt     `json:"reprompt,omitempty"`
	Directives       []Directive   `json:"directives,omitempty"`
	ShouldEndSession *bool         `json:"shouldEndSession,omitempty"`
}

// OutputSpeech is plain-text speech.
type OutputSpeech struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// Card is a Simple card in the Alexa app.
type Card struct {
	Type    string `json:"type"`
	Title   string `json:"title"`
	Content string `json:"content"`
}

// Reprompt is what Alexa says when the user stays silent.
type Reprompt struct {
	OutputSpeech OutputSpeech `json:"outputSpeech"`
}

// Directive is a dialog directive: Dialog.ConfirmIntent or Dialog.ElicitSlot.
type Directive struct {
	Type          string  `json:"type"`
	SlotToElicit  string  `json:"slotToElicit,omitempty"`
	UpdatedIntent *Intent `json:"updatedIntent,omitempty"`
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func speech(text string) *OutputSpeech { return &OutputSpeech{Type: "PlainText", Text: text} }

func card(title, content string) *Card { return &Card{Type: "Simple", Title: title, Content: content} }

func say(text, title string, end bool) Response {
	return Response{Version: "1.0", Response: ResponseBody{OutputSpeech: speech(text), Card: card(title, text), ShouldEndSession: &end}}
}

// String renders a response for logs.
func (r Response) String() string {
	if r.Response.OutputSpeech == nil {
		return "(silent)"
	}
	return fmt.Sprintf("%q", r.Response.OutputSpeech.Text)
}
