// Package fleet runs the local stack's deploy targets: for each service, real
// demo-service processes per version behind a loopback reverse proxy whose
// weighted route the local traffic shifter drives (Fleet implements
// localproxy.Proxy). Routing is deterministic (exactly weight of every 100
// consecutive requests go to the candidate) and a route change is one atomic
// swap, so in-flight requests finish where they started. A service keeps at
// most two versions running, the routed ones plus the last stable as a warm
// standby; older ones are stopped (SIGTERM to the process group, drained)
// and restarted if routed again. The proxy records per-version request
// counts, 5xx counts and latencies of the real traffic it forwards, which
// the local metric alarms evaluate, and a background generator keeps
// traffic flowing. Synthetic requests (SyntheticHeader, StartSynthetic) go
// to the candidate or the baseline, alternately, outside the weighted
// split, and are recorded apart, so quiet canaries can be judged without
// mixing them into real traffic. Artifacts name a version plus injected
// faults ("v3+error-rate=0.2"; see Artifact).
package fleet
