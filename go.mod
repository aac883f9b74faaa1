module github.com/lanyingim/lanying-ingest

go 1.26.8
