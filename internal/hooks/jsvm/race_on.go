//go:build race

package jsvm

// raceDetector: this binary runs under the race detector (go test -race),
// whose shadow memory no data limit a worker can live with admits.
const raceDetector = true
