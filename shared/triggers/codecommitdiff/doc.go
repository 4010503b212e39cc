// Package codecommitdiff lists the files a CodeCommit push changed, by
// paging through CodeCommit's GetDifferences between the old and new commit.
// CodeCommit's push events carry no file list, so the push trigger asks this
// adapter when a pipeline filters on paths.
package codecommitdiff
