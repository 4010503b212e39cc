// Package codecommitheads tells the scheduler which commit a CodeCommit
// branch points at now (GetBranch), so a nightly release takes the branch
// head. It implements scheduler.Heads.
package codecommitheads
