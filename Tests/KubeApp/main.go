// kube-app: the workload Serin's Kubernetes tests deploy (image serin.local/kube-app:1, built by
// scripts/kube/cluster.sh build). Go standard library only; built with CGO_ENABLED=0 (static).
//
//	GET  /         200 "<APP_VERSION>\n" (or 500 with probability error_rate), after latency_ms
//	GET  /healthz  200 ok          GET /readyz  200 ready
//	GET  /metrics  Prometheus text: http_request_duration_seconds{method,path,status} histogram
//	               (_bucket/_sum/_count, podinfo's buckets; every path but /metrics, unknown paths as
//	               path="/other") and http_requests_total{status} (the app's traffic only: not /healthz,
//	               /readyz, /config, /metrics)
//	GET  /config   the current settings as JSON
//	POST /config?error_rate=0.5&latency_ms=200   changes the settings of this running process
//
// Environment: APP_VERSION (default "v1"), ERROR_RATE (0..1, default 0), LATENCY_MS (default 0),
// PORT (default 8080).
package main

import (
	"fmt"
	"log"
	"math/rand"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// podinfo's buckets (prometheus.DefBuckets).
var buckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

type series struct {
	counts []uint64 // per bucket, not cumulative
	count  uint64
	sum    float64
}

type key struct{ method, path, status string }

type app struct {
	version string

	mu        sync.Mutex
	errorRate float64
	latency   time.Duration
	hist      map[key]*series
	total     map[string]uint64 // by status
	rng       *rand.Rand
}

func envFloat(name string, def float64) float64 {
	if v := os.Getenv(name); v != "" {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
		log.Printf("ignoring %s=%q", name, v)
	}
	return def
}

func clamp01(f float64) float64 {
	if f < 0 {
		return 0
	}
	if f > 1 {
		return 1
	}
	return f
}

// statusWriter remembers the status code for the metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// instrument records every request except those for /metrics itself.
func (a *app) instrument(path string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: 200}
		h(sw, r)
		if path == "/metrics" {
			return
		}
		d := time.Since(start).Seconds()
		k := key{r.Method, path, strconv.Itoa(sw.status)}
		a.mu.Lock()
		s := a.hist[k]
		if s == nil {
			s = &series{counts: make([]uint64, len(buckets))}
			a.hist[k] = s
		}
		for i, b := range buckets {
			if d <= b {
				s.counts[i]++
				break
			}
		}
		s.count++
		s.sum += d
		if countsAsTraffic(path) {
			a.total[k.status]++
		}
		a.mu.Unlock()
	}
}

// countsAsTraffic: http_requests_total{status} counts the application's traffic only, so that an error
// ratio computed from it is not diluted by the kubelet's probes or by the tests' /config calls.
func countsAsTraffic(path string) bool {
	switch path {
	case "/healthz", "/readyz", "/config", "/metrics":
		return false
	}
	return true
}

func (a *app) settings() (float64, time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.errorRate, a.latency
}

func (a *app) root(w http.ResponseWriter, r *http.Request) {
	rate, lat := a.settings()
	if lat > 0 {
		time.Sleep(lat)
	}
	a.mu.Lock()
	fail := a.rng.Float64() < rate
	a.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-App-Version", a.version)
	if fail {
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "injected error (%s)\n", a.version)
		return
	}
	fmt.Fprintf(w, "%s\n", a.version)
}

func (a *app) config(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var rate, lat *float64
		if v := r.Form.Get("error_rate"); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				http.Error(w, "bad error_rate: "+v, http.StatusBadRequest)
				return
			}
			f = clamp01(f)
			rate = &f
		}
		if v := r.Form.Get("latency_ms"); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 {
				http.Error(w, "bad latency_ms: "+v, http.StatusBadRequest)
				return
			}
			lat = &f
		}
		a.mu.Lock()
		if rate != nil {
			a.errorRate = *rate
		}
		if lat != nil {
			a.latency = time.Duration(*lat * float64(time.Millisecond))
		}
		a.mu.Unlock()
	} else if r.Method != http.MethodGet {
		http.Error(w, "GET or POST", http.StatusMethodNotAllowed)
		return
	}
	rate, lat := a.settings()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, "{\"version\":%q,\"error_rate\":%g,\"latency_ms\":%g}\n", a.version, rate, float64(lat)/float64(time.Millisecond))
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func (a *app) metrics(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	a.mu.Lock()
	keys := make([]key, 0, len(a.hist))
	for k := range a.hist {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		x, y := keys[i], keys[j]
		if x.path != y.path {
			return x.path < y.path
		}
		if x.method != y.method {
			return x.method < y.method
		}
		return x.status < y.status
	})
	b.WriteString("# HELP http_request_duration_seconds The latency of the HTTP requests.\n")
	b.WriteString("# TYPE http_request_duration_seconds histogram\n")
	for _, k := range keys {
		s := a.hist[k]
		labels := fmt.Sprintf("method=%q,path=%q,status=%q", k.method, k.path, k.status)
		var cum uint64
		for i, le := range buckets {
			cum += s.counts[i]
			fmt.Fprintf(&b, "http_request_duration_seconds_bucket{%s,le=%q} %d\n", labels, fmtFloat(le), cum)
		}
		fmt.Fprintf(&b, "http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %d\n", labels, s.count)
		fmt.Fprintf(&b, "http_request_duration_seconds_sum{%s} %s\n", labels, fmtFloat(s.sum))
		fmt.Fprintf(&b, "http_request_duration_seconds_count{%s} %d\n", labels, s.count)
	}
	statuses := make([]string, 0, len(a.total))
	for st := range a.total {
		statuses = append(statuses, st)
	}
	sort.Strings(statuses)
	b.WriteString("# HELP http_requests_total The total number of HTTP requests.\n")
	b.WriteString("# TYPE http_requests_total counter\n")
	for _, st := range statuses {
		fmt.Fprintf(&b, "http_requests_total{status=%q} %d\n", st, a.total[st])
	}
	rate, lat := a.errorRate, a.latency
	a.mu.Unlock()
	b.WriteString("# HELP app_info The version and fault settings of this process.\n# TYPE app_info gauge\n")
	fmt.Fprintf(&b, "app_info{version=%q} 1\n", a.version)
	fmt.Fprintf(&b, "# TYPE app_error_rate gauge\napp_error_rate %s\n", fmtFloat(rate))
	fmt.Fprintf(&b, "# TYPE app_latency_ms gauge\napp_latency_ms %s\n", fmtFloat(float64(lat)/float64(time.Millisecond)))
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Write([]byte(b.String()))
}

func main() {
	version := os.Getenv("APP_VERSION")
	if version == "" {
		version = "v1"
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	a := &app{
		version:   version,
		errorRate: clamp01(envFloat("ERROR_RATE", 0)),
		latency:   time.Duration(envFloat("LATENCY_MS", 0) * float64(time.Millisecond)),
		hist:      map[key]*series{},
		total:     map[string]uint64{},
		rng:       rand.New(rand.NewSource(time.Now().UnixNano())),
	}
	mux := http.NewServeMux()
	ok := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, body) }
	}
	mux.HandleFunc("/healthz", a.instrument("/healthz", ok("ok")))
	mux.HandleFunc("/readyz", a.instrument("/readyz", ok("ready")))
	mux.HandleFunc("/metrics", a.instrument("/metrics", a.metrics))
	mux.HandleFunc("/config", a.instrument("/config", a.config))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			a.instrument("/other", http.NotFound)(w, r)
			return
		}
		a.instrument("/", a.root)(w, r)
	})
	srv := &http.Server{Addr: ":" + port, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Printf("kube-app %s listening on :%s (error_rate=%g latency=%s)", version, port, a.errorRate, a.latency)
	log.Fatal(srv.ListenAndServe())
}
