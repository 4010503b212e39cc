// Package codecommit is Shipwave's adapter for AWS CodeCommit, through the
// aws-sdk-go-v2 codecommit client.
//
// Differ lists the files a CodeCommit push changed, by paging through
// GetDifferences between the old and new commit: CodeCommit's push events
// carry no file list, so the push trigger asks it when a pipeline filters on
// paths (triggers.Differ). Heads tells the scheduler which commit a branch
// points at now (GetBranch), so a nightly release takes the branch head
// (scheduler.Heads).
package codecommit
