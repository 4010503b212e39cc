package awsfake

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

const elbv2Namespace = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"

// ELBv2 is a fake Elastic Load Balancing v2 service speaking awsquery with XML
// responses. It holds listeners with their default actions, listener rules,
// and target groups with the health of their targets. Actions and conditions
// are stored exactly as sent, so fields the fake does not interpret survive
// a round trip.
type ELBv2 struct {
	recorder
	// Server is the loopback server; pass Server.URL to Config.
	Server *httptest.Server

	mu        sync.Mutex
	seq       int
	listeners map[string]*elbListener
	rules     map[string]*elbRule
	groups    map[string]*elbGroup
	order     []string // target group ARNs in creation order
}

type elbListener struct {
	arn, lbArn string
	port       int
	actions    []flat
}

type elbRule struct {
	arn, listenerArn string
	priority         int
	actions          []flat
	conditions       []flat
}

type elbGroup struct {
	arn, name string
	targets   []string
	health    map[string]string
}

// TargetWeight is one target group of a forward action and its weight.
type TargetWeight struct {
	TargetGroupArn string
	Weight         int
}

// Action is a listener or rule action as the fake reports it. Extra holds
// every other field under its dotted API name, for example
// "FixedResponseConfig.StatusCode" or
// "ForwardConfig.TargetGroupStickinessConfig.Enabled".
type Action struct {
	Type           string
	Order          int
	TargetGroupArn string
	Forward        []TargetWeight
	Extra          map[string]string
}

// Forward returns a forward action over the given groups.
func Forward(groups ...TargetWeight) Action {
	return Action{Type: "forward", Forward: groups}
}

// Condition is a rule condition: a field and the values it matches.
type Condition struct {
	Field  string
	Values []string
}

// NewELBv2 starts a fake ELBv2 service that stops when t ends.
func NewELBv2(t testing.TB) *ELBv2 {
	t.Helper()
	e := &ELBv2{listeners: map[string]*elbListener{}, rules: map[string]*elbRule{}, groups: map[string]*elbGroup{}}
	e.Server = start(t, http.HandlerFunc(e.serve))
	return e
}

// URL is the endpoint of the fake.
func (e *ELBv2) URL() string { return e.Server.URL }

func (e *ELBv2) next() string {
	e.seq++
	return fmt.Sprintf("%016x", e.seq)
}

// AddTargetGroup creates a target group whose targets are all healthy and
// returns its ARN.
func (e *ELBv2) AddTargetGroup(name string, targets ...string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	arn := "arn:aws:elasticloadbalancing:" + Region + ":" + Account + ":targetgroup/" + name + "/" + e.next()
	g := &elbGroup{arn: arn, name: name, health: map[string]string{}}
	for _, id := range targets {
		g.targets = append(g.targets, id)
		g.health[id] = "healthy"
	}
	e.groups[arn] = g
	e.order = append(e.order, arn)
	return arn
}

// SetTargetHealth sets a target's health state ("healthy", "unhealthy",
// "draining", …), registering the target if needed.
func (e *ELBv2) SetTargetHealth(groupArn, target, state string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	g := e.groups[groupArn]
	if g == nil {
		panic("awsfake: no target group " + groupArn)
	}
	if _, ok := g.health[target]; !ok {
		g.targets = append(g.targets, target)
	}
	g.health[target] = state
}

// AddListener creates a listener with the given default actions and returns
// its ARN. It panics on actions the service would reject.
func (e *ELBv2) AddListener(port int, actions ...Action) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	stored, err := e.checkActions(actionsFlat(actions))
	if err != nil {
		panic("awsfake: " + err.message)
	}
	arn := "arn:aws:elasticloadbalancing:" + Region + ":" + Account + ":listener/app/shipwave/50dc6c495c0c9188/" + e.next()
	e.listeners[arn] = &elbListener{arn: arn, lbArn: "arn:aws:elasticloadbalancing:" + Region + ":" + Account + ":loadbalancer/app/shipwave/50dc6c495c0c9188", port: port, actions: stored}
	return arn
}

// AddRule creates a listener rule and returns its ARN. It panics on actions
// the service would reject.
func (e *ELBv2) AddRule(listenerArn string, priority int, conditions []Condition, actions ...Action) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.listeners[listenerArn] == nil {
		panic("awsfake: no listener " + listenerArn)
	}
	stored, err := e.checkActions(actionsFlat(actions))
	if err != nil {
		panic("awsfake: " + err.message)
	}
	var conds []flat
	for _, c := range conditions {
		f := flat{"Field": c.Field}
		for i, v := range c.Values {
			f["Values.member."+strconv.Itoa(i+1)] = v
		}
		conds = append(conds, f)
	}
	arn := strings.Replace(listenerArn, ":listener/", ":listener-rule/", 1) + "/" + e.next()
	e.rules[arn] = &elbRule{arn: arn, listenerArn: listenerArn, priority: priority, actions: stored, conditions: conds}
	return arn
}

// ListenerActions returns a listener's live default actions.
func (e *ELBv2) ListenerActions(arn string) []Action {
	e.mu.Lock()
	defer e.mu.Unlock()
	l := e.listeners[arn]
	if l == nil {
		return nil
	}
	return actionsOf(l.actions)
}

// RuleActions returns a rule's live actions.
func (e *ELBv2) RuleActions(arn string) []Action {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.rules[arn]
	if r == nil {
		return nil
	}
	return actionsOf(r.actions)
}

// RuleConditions returns a rule's live conditions.
func (e *ELBv2) RuleConditions(arn string) []Condition {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.rules[arn]
	if r == nil {
		return nil
	}
	var out []Condition
	for _, c := range r.conditions {
		cond := Condition{Field: c["Field"]}
		for _, v := range c.members("Values") {
			cond.Values = append(cond.Values, v[""])
		}
		out = append(out, cond)
	}
	return out
}

// Throttle makes the next n requests for operation (all if empty) fail with
// 400 Throttling, as ELBv2 throttles; n <= 0 means every request.
func (e *ELBv2) Throttle(operation string, n int) {
	e.Inject(Fault{Operation: operation, Status: http.StatusBadRequest, Code: "Throttling", Message: "Rate exceeded", Times: n})
}

// FailServer makes the next n requests for operation fail with 500
// InternalFailure; n <= 0 means every request.
func (e *ELBv2) FailServer(operation string, n int) {
	e.Inject(Fault{Operation: operation, Status: http.StatusInternalServerError, Code: "InternalFailure", Message: "internal failure", Times: n})
}

func actionsFlat(actions []Action) []flat {
	var out []flat
	for i, a := range actions {
		f := flat{"Type": a.Type}
		if a.Order != 0 {
			f["Order"] = strconv.Itoa(a.Order)
		} else {
			f["Order"] = strconv.Itoa(i + 1)
		}
		if a.TargetGroupArn != "" {
			f["TargetGroupArn"] = a.TargetGroupArn
		}
		for j, g := range a.Forward {
			p := "ForwardConfig.TargetGroups.member." + strconv.Itoa(j+1)
			f[p+".TargetGroupArn"] = g.TargetGroupArn
			f[p+".Weight"] = strconv.Itoa(g.Weight)
		}
		for k, v := range a.Extra {
			f[k] = v
		}
		out = append(out, f)
	}
	return out
}

func actionsOf(stored []flat) []Action {
	var out []Action
	for _, f := range stored {
		a := Action{Type: f["Type"], TargetGroupArn: f["TargetGroupArn"], Extra: map[string]string{}}
		a.Order, _ = strconv.Atoi(f["Order"])
		for _, g := range f.members("ForwardConfig.TargetGroups") {
			w, _ := strconv.Atoi(g["Weight"])
			a.Forward = append(a.Forward, TargetWeight{TargetGroupArn: g["TargetGroupArn"], Weight: w})
		}
		for k, v := range f {
			switch {
			case k == "Type" || k == "Order" || k == "TargetGroupArn":
			case strings.HasPrefix(k, "ForwardConfig.TargetGroups."):
			default:
				a.Extra[k] = v
			}
		}
		out = append(out, a)
	}
	return out
}

type elbError struct {
	status        int
	code, message string
}

func validation(format string, args ...any) *elbError {
	return &elbError{http.StatusBadRequest, "ValidationError", fmt.Sprintf(format, args...)}
}

// checkActions validates actions as ELBv2 does and returns them as stored,
// with the forward shapes filled in the way the service reports them.
func (e *ELBv2) checkActions(actions []flat) ([]flat, *elbError) {
	if len(actions) == 0 {
		return nil, validation("At least one action must be specified")
	}
	terminal := 0
	var out []flat
	for i, a := range actions {
		a = clone(a)
		switch a["Type"] {
		case "forward":
			terminal++
			groups := a.members("ForwardConfig.TargetGroups")
			single := a["TargetGroupArn"]
			if single == "" && len(groups) == 0 {
				return nil, validation("A target group ARN or forward config must be specified for action %d of type forward", i+1)
			}
			if single != "" && len(groups) > 0 && (len(groups) != 1 || groups[0]["TargetGroupArn"] != single) {
				return nil, validation("You cannot specify both a target group ARN and a forward config with different target groups")
			}
			if len(groups) > 5 {
				return nil, validation("A forward action can have at most 5 target groups")
			}
			seen := map[string]bool{}
			for _, g := range groups {
				arn := g["TargetGroupArn"]
				if e.groups[arn] == nil {
					return nil, &elbError{http.StatusBadRequest, "TargetGroupNotFound", fmt.Sprintf("Target groups '%s' not found", arn)}
				}
				if seen[arn] {
					return nil, validation("Target group '%s' is specified more than once in the forward config", arn)
				}
				seen[arn] = true
				if w, ok := g["Weight"]; ok {
					n, err := strconv.Atoi(w)
					if err != nil || n < 0 || n > 999 {
						return nil, validation("Target group weight '%s' must be between 0 and 999", w)
					}
				}
			}
			if single != "" {
				if e.groups[single] == nil {
					return nil, &elbError{http.StatusBadRequest, "TargetGroupNotFound", fmt.Sprintf("Target groups '%s' not found", single)}
				}
				if len(groups) == 0 {
					a["ForwardConfig.TargetGroups.member.1.TargetGroupArn"] = single
					a["ForwardConfig.TargetGroups.member.1.Weight"] = "1"
				}
			} else if len(groups) == 1 {
				a["TargetGroupArn"] = groups[0]["TargetGroupArn"]
			}
			for j, g := range groups {
				if _, ok := g["Weight"]; !ok {
					a["ForwardConfig.TargetGroups.member."+strconv.Itoa(j+1)+".Weight"] = "1"
				}
			}
			if _, ok := a["ForwardConfig.TargetGroupStickinessConfig.Enabled"]; !ok {
				a["ForwardConfig.TargetGroupStickinessConfig.Enabled"] = "false"
			}
		case "redirect", "fixed-response":
			terminal++
		case "authenticate-oidc", "authenticate-cognito", "jwt-validation":
		case "":
			return nil, validation("Action type must be specified for action %d", i+1)
		default:
			return nil, validation("Action type '%s' is not valid", a["Type"])
		}
		out = append(out, a)
	}
	if terminal != 1 {
		return nil, validation("Exactly one of forward, redirect or fixed-response action must be specified; got %d", terminal)
	}
	return out, nil
}

func clone(f flat) flat {
	out := flat{}
	for k, v := range f {
		out[k] = v
	}
	return out
}

func (e *ELBv2) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, err := url.ParseQuery(string(body))
	requestID := fmt.Sprintf("req-%d", len(e.Requests())+1)
	if err != nil || r.Method != http.MethodPost {
		writeQueryError(w, http.StatusBadRequest, "MalformedQueryString", "could not parse the request", requestID)
		return
	}
	in := flat{}
	params := map[string]any{}
	for k, v := range form {
		in[k] = v[0]
		params[k] = v[0]
	}
	op := in["Action"]
	if f := e.record(Request{Operation: op, Params: params, Header: r.Header.Clone()}); f != nil {
		writeQueryError(w, f.Status, f.Code, orDefault(f.Message, f.Code), requestID)
		return
	}
	if in["Version"] != "2015-12-01" {
		writeQueryError(w, http.StatusBadRequest, "InvalidAction", "unsupported API version "+in["Version"], requestID)
		return
	}
	e.mu.Lock()
	var out flat
	var eerr *elbError
	switch op {
	case "DescribeListeners":
		out, eerr = e.describeListeners(in)
	case "DescribeRules":
		out, eerr = e.describeRules(in)
	case "ModifyListener":
		out, eerr = e.modifyListener(in)
	case "ModifyRule":
		out, eerr = e.modifyRule(in)
	case "DescribeTargetGroups":
		out, eerr = e.describeTargetGroups(in)
	case "DescribeTargetHealth":
		out, eerr = e.describeTargetHealth(in)
	default:
		eerr = &elbError{http.StatusBadRequest, "InvalidAction", "The action " + op + " is not valid for this web service."}
	}
	e.mu.Unlock()
	if eerr != nil {
		writeQueryError(w, eerr.status, eerr.code, eerr.message, requestID)
		return
	}
	writeQueryResult(w, elbv2Namespace, op, out, requestID)
}

func (l *elbListener) flat() flat {
	f := flat{"ListenerArn": l.arn, "LoadBalancerArn": l.lbArn, "Port": strconv.Itoa(l.port), "Protocol": "HTTP"}
	f.putList("DefaultActions", l.actions)
	return f
}

func (r *elbRule) flat() flat {
	f := flat{"RuleArn": r.arn, "Priority": strconv.Itoa(r.priority), "IsDefault": "false"}
	f.putList("Actions", r.actions)
	f.putList("Conditions", r.conditions)
	return f
}

func (e *ELBv2) listenerNotFound(arn string) *elbError {
	return &elbError{http.StatusBadRequest, "ListenerNotFound", fmt.Sprintf("One or more listeners not found: '%s'", arn)}
}

func (e *ELBv2) describeListeners(in flat) (flat, *elbError) {
	var items []flat
	for _, m := range in.members("ListenerArns") {
		l := e.listeners[m[""]]
		if l == nil {
			return nil, e.listenerNotFound(m[""])
		}
		items = append(items, l.flat())
	}
	if lb := in["LoadBalancerArn"]; lb != "" {
		var ls []*elbListener
		for _, l := range e.listeners {
			if l.lbArn == lb {
				ls = append(ls, l)
			}
		}
		sort.Slice(ls, func(i, j int) bool { return ls[i].port < ls[j].port })
		for _, l := range ls {
			items = append(items, l.flat())
		}
	}
	out := flat{}
	out.putList("Listeners", items)
	return out, nil
}

func (e *ELBv2) describeRules(in flat) (flat, *elbError) {
	var items []flat
	for _, m := range in.members("RuleArns") {
		r := e.rules[m[""]]
		if r == nil {
			return nil, &elbError{http.StatusBadRequest, "RuleNotFound", fmt.Sprintf("One or more rules not found: '%s'", m[""])}
		}
		items = append(items, r.flat())
	}
	if la := in["ListenerArn"]; la != "" {
		l := e.listeners[la]
		if l == nil {
			return nil, e.listenerNotFound(la)
		}
		var rules []*elbRule
		for _, r := range e.rules {
			if r.listenerArn == la {
				rules = append(rules, r)
			}
		}
		sort.Slice(rules, func(i, j int) bool { return rules[i].priority < rules[j].priority })
		for _, r := range rules {
			items = append(items, r.flat())
		}
		def := flat{"RuleArn": strings.Replace(la, ":listener/", ":listener-rule/", 1) + "/default", "Priority": "default", "IsDefault": "true"}
		def.putList("Actions", l.actions)
		items = append(items, def)
	}
	out := flat{}
	out.putList("Rules", items)
	return out, nil
}

func (e *ELBv2) modifyListener(in flat) (flat, *elbError) {
	l := e.listeners[in["ListenerArn"]]
	if l == nil {
		return nil, e.listenerNotFound(in["ListenerArn"])
	}
	if sent := in.members("DefaultActions"); len(sent) > 0 {
		stored, err := e.checkActions(sent)
		if err != nil {
			return nil, err
		}
		l.actions = stored
	}
	out := flat{}
	out.putList("Listeners", []flat{l.flat()})
	return out, nil
}

func (e *ELBv2) modifyRule(in flat) (flat, *elbError) {
	r := e.rules[in["RuleArn"]]
	if r == nil {
		return nil, &elbError{http.StatusBadRequest, "RuleNotFound", fmt.Sprintf("One or more rules not found: '%s'", in["RuleArn"])}
	}
	if sent := in.members("Actions"); len(sent) > 0 {
		stored, err := e.checkActions(sent)
		if err != nil {
			return nil, err
		}
		r.actions = stored
	}
	if sent := in.members("Conditions"); len(sent) > 0 {
		r.conditions = sent
	}
	out := flat{}
	out.putList("Rules", []flat{r.flat()})
	return out, nil
}

func (g *elbGroup) flat() flat {
	return flat{"TargetGroupArn": g.arn, "TargetGroupName": g.name, "Protocol": "HTTP", "Port": "80", "TargetType": "ip", "VpcId": "vpc-0shipwave"}
}

func (e *ELBv2) describeTargetGroups(in flat) (flat, *elbError) {
	var items []flat
	for _, m := range in.members("TargetGroupArns") {
		g := e.groups[m[""]]
		if g == nil {
			return nil, &elbError{http.StatusBadRequest, "TargetGroupNotFound", fmt.Sprintf("One or more target groups not found: '%s'", m[""])}
		}
		items = append(items, g.flat())
	}
	for _, m := range in.members("Names") {
		var found *elbGroup
		for _, arn := range e.order {
			if e.groups[arn].name == m[""] {
				found = e.groups[arn]
			}
		}
		if found == nil {
			return nil, &elbError{http.StatusBadRequest, "TargetGroupNotFound", fmt.Sprintf("One or more target groups not found: '%s'", m[""])}
		}
		items = append(items, found.flat())
	}
	out := flat{}
	out.putList("TargetGroups", items)
	return out, nil
}

func (e *ELBv2) describeTargetHealth(in flat) (flat, *elbError) {
	g := e.groups[in["TargetGroupArn"]]
	if g == nil {
		return nil, &elbError{http.StatusBadRequest, "TargetGroupNotFound", fmt.Sprintf("Target groups '%s' not found", in["TargetGroupArn"])}
	}
	var items []flat
	for _, id := range g.targets {
		items = append(items, flat{"Target.Id": id, "Target.Port": "8080", "HealthCheckPort": "8080", "TargetHealth.State": g.health[id]})
	}
	out := flat{}
	out.putList("TargetHealthDescriptions", items)
	return out, nil
}
