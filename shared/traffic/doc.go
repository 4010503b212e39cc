// Package traffic is the contract for moving a target's traffic between two
// versions: a Split says what share the candidate gets, and a Shifter
// prepares a candidate, reads the live split, shifts it and verifies it.
// Implementations live in subpackages, one per mechanism (Lambda alias
// routing, ALB weighted target groups, the local weighted proxy), and
// traffictest holds the contract suite every one of them passes.
package traffic
