module github.com/tokenhook/tokenhook

go 1.26.8
