// Package fleet runs the local stack's deploy targets: for each service, real
// demo-service processes per version behind a loopback reverse proxy whose
// weighted route the local traffic shifter drives (Fleet implements
// localproxy.Proxy). The proxy records per-version request counts, 5xx
// counts and latencies from the real traffic it forwards, which the local
// metric alarms evaluate, and a background generator keeps traffic flowing.
// Artifacts name a version plus injected faults ("v3+error-rate=0.2").
package fleet
