package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// buildBinary compiles ./cmd/dinhdanh of the module the current directory
// belongs to into dir.
func buildBinary(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the dinhdanh module: run from its checkout or give --bin")
	}
	bin := filepath.Join(dir, "dinhdanh")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/dinhdanh")
	cmd.Dir = filepath.Dir(gomod)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
}

// freeLoopbackPort returns a TCP port that is free on 127.0.0.1 now.
func freeLoopbackPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// hermeticEnv returns the environment without any DINHDANH_* variable, plus set.
func hermeticEnv(set map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DINHDANH_") {
			env = append(env, kv)
		}
	}
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	return env
}

// server is a dinhdanh serve process started by this command.
type server struct {
	bin     string
	env     []string
	base    string // http://127.0.0.1:PORT
	logPath string

	cmd    *exec.Cmd
	exited chan struct{}
	err    error // the exit status, once exited is closed
}

// start runs "dinhdanh serve" and returns the time from process start until
// /health/ready answers 200.
func (s *server) start(ctx context.Context) (time.Duration, error) {
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(s.bin, "serve")
	cmd.Env = s.env
	cmd.Stdout, cmd.Stderr = logf, logf
	// Should this command be killed, the node does not outlive it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return 0, err
	}
	s.cmd, s.exited = cmd, make(chan struct{})
	go func() {
		s.err = cmd.Wait()
		logf.Close()
		close(s.exited)
	}()
	probe := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, DialContext: loopbackDialer().DialContext},
		Timeout: 500 * time.Millisecond}
	deadline := t0.Add(30 * time.Second)
	for {
		if resp, err := probe.Get(s.base + "/health/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(t0), nil
			}
		}
		select {
		case <-s.exited:
			return 0, fmt.Errorf("dinhdanh serve exited during start-up (%v):\n%s", s.err, tail(s.logPath, 20))
		case <-ctx.Done():
			s.stop()
			return 0, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return 0, fmt.Errorf("dinhdanh serve was not ready after 30s:\n%s", tail(s.logPath, 20))
		}
	}
}

// stop ends the process gracefully (SIGTERM), killing it after 15 s.
func (s *server) stop() {
	if s.cmd == nil {
		return
	}
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

func (s *server) pid() int {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// memory reads the resident set size and its high-water mark (KiB) of a process.
func memory(pid int) (rss, hwm int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var dst *int64
		switch k {
		case "VmRSS":
			dst = &rss
		case "VmHWM":
			dst = &hwm
		default:
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/%d/status: %s: %w", pid, k, err)
		}
		*dst = n
	}
	if err := sc.Err(); err != nil {
		return 0, 0, err
	}
	if rss == 0 {
		return 0, 0, fmt.Errorf("/proc/%d/status has no VmRSS", pid)
	}
	return rss, hwm, nil
}

// clockTicks is USER_HZ, the unit of the CPU times in /proc/PID/stat; it is
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// cpuTimes is the CPU time used so far by the nodes under load, by the
// services beside them (PostgreSQL, Redis), by this process and by every
// process of the machine.
type cpuTimes struct {
	server, services, self, machine time.Duration
}

// procStat is what this command reads of /proc/PID/stat.
type procStat struct {
	ppid int
	// cpu is the user plus system time of the process; children is that of
	// its children that ended and were waited for.
	cpu, children time.Duration
}

func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	// The command name (field 2) may hold spaces; the fields after it do not.
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 15 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	// ppid is field 4 of the line, 2 after the name; utime, stime, cutime
	// and cstime are fields 14 to 17, 12 to 15 after the name.
	var n [5]int64
	for i, field := range []int{1, 11, 12, 13, 14} {
		if n[i], err = strconv.ParseInt(f[field], 10, 64); err != nil {
			return procStat{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
	}
	return procStat{ppid: int(n[0]), cpu: time.Duration(n[1]+n[2]) * time.Second / clockTicks,
		children: time.Duration(n[3]+n[4]) * time.Second / clockTicks}, nil
}

// processCPU returns the user plus system CPU time a process has used.
func processCPU(pid int) (time.Duration, error) {
	st, err := readStat(pid)
	return st.cpu, err
}

// processTree returns root and every process descending from it, as they
// are now (PostgreSQL forks a process per connection and several helpers).
func processTree(root int) ([]int, error) {
	if _, err := readStat(root); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	children := map[int][]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := readStat(pid)
		if err != nil {
			continue // ended meanwhile
		}
		children[st.ppid] = append(children[st.ppid], pid)
	}
	tree := []int{root}
	for i := 0; i < len(tree); i++ {
		tree = append(tree, children[tree[i]]...)
	}
	return tree, nil
}

// treeCPU returns the CPU time used by root and its descendants so far. A
// process that ended is still counted: its time moves to its parent's
// children's time when the parent waits for it.
func treeCPU(root int) (time.Duration, error) {
	tree, err := processTree(root)
	if err != nil {
		return 0, err
	}
	var sum time.Duration
	for _, pid := range tree {
		if st, err := readStat(pid); err == nil {
			sum += st.cpu + st.children
		}
	}
	return sum, nil
}

// treePSS returns the proportional set size (KiB) of root and its
// descendants together, and how many processes that is: shared memory, such
// as PostgreSQL's shared buffers, is counted once, divided among the
// processes that map it.
func treePSS(root int) (int64, int, error) {
	tree, err := processTree(root)
	if err != nil {
		return 0, 0, err
	}
	var sum int64
	n := 0
	for _, pid := range tree {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue // ended meanwhile
			}
			return 0, 0, err
		}
		for _, line := range strings.Split(string(b), "\n") {
			v, ok := strings.CutPrefix(line, "Pss:")
			if !ok {
				continue
			}
			kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, 0, fmt.Errorf("/proc/%d/smaps_rollup: Pss: %w", pid, err)
			}
			sum += kib
			n++
			break
		}
	}
	if n == 0 {
		return 0, 0, fmt.Errorf("/proc/%d/smaps_rollup has no Pss", root)
	}
	return sum, n, nil
}

// machineCPU returns the CPU time all processes of the machine have used
// (everything but idle and I/O wait), from /proc/stat.
func machineCPU() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	// user nice system idle iowait irq softirq steal: all but idle and iowait.
	for i, v := range f[1:9] {
		if i == 3 || i == 4 {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0
		}
		busy += n
	}
	return time.Duration(busy) * time.Second / clockTicks
}

// selfCPU returns the user plus system CPU time of this process.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  | " + strings.Join(lines, "\n  | ")
}

// cli runs the dinhdanh command line against the server's database.
type cli struct {
	argv []string // the binary and its leading options (e.g. --config FILE)
	env  []string
}

// cliTimeout bounds one run of the command line, so that a hung database
// cannot hold the whole command.
const cliTimeout = 2 * time.Minute

// run executes one subcommand and returns its standard output.
func (c *cli) run(ctx context.Context, stdin string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, cliTimeout)
	defer cancel()
	// Options such as --config belong after the subcommand words.
	argv := placeOptions(c.argv[1:], args)
	cmd := exec.CommandContext(ctx, c.argv[0], argv...)
	cmd.Env = c.env
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("dinhdanh %s: %w: %s", strings.Join(args[:min(2, len(args))], " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// placeOptions puts the leading options of --cli after the subcommand words
// ("client create"), where dinhdanh's flag sets read them.
func placeOptions(opts, args []string) []string {
	words := 0
	for words < len(args) && words < 2 && !strings.HasPrefix(args[words], "-") {
		words++
	}
	out := append([]string{}, args[:words]...)
	out = append(out, opts...)
	return append(out, args[words:]...)
}

// fixture is what the scenarios need in the database.
type fixture struct {
	ccID, ccSecret   string // confidential client with client_credentials
	webID, webSecret string // first-party confidential client with authorization_code + refresh_token
	redirectURI      string
	accounts         []string // personal IDs
	password         string
}

// provision registers the two clients and the citizen accounts through the CLI.
func provision(ctx context.Context, c *cli, nAccounts int, idTokenAlg string, parallel int) (*fixture, error) {
	suffix := randToken(6)
	fx := &fixture{redirectURI: "http://127.0.0.1/callback", password: "tai-thu-" + randToken(9)}
	var created struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	out, err := c.run(ctx, "", "client", "create", "--json", "--id", "load-cc-"+suffix,
		"--name", "Load test: service", "--grant", "client_credentials")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(out, &created); err != nil || created.Secret == "" {
		return nil, fmt.Errorf("client create: unexpected output %q", out)
	}
	fx.ccID, fx.ccSecret = created.ID, created.Secret
	created.ID, created.Secret = "", ""
	out, err = c.run(ctx, "", "client", "create", "--json", "--id", "load-web-"+suffix,
		"--name", "Load test: portal", "--first-party", "--redirect-uri", fx.redirectURI, "--id-token-alg", idTokenAlg)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(out, &created); err != nil || created.Secret == "" {
		return nil, fmt.Errorf("client create: unexpected output %q", out)
	}
	fx.webID, fx.webSecret = created.ID, created.Secret

	// Personal IDs 001 0 99 NNNNNN: registered in Hà Nội (001), a man born
	// in the 1900s (0), in 1999 (99).
	fx.accounts = make([]string, nAccounts)
	for i := range fx.accounts {
		fx.accounts[i] = fmt.Sprintf("001099%06d", i+1)
	}
	sem := make(chan struct{}, max(parallel, 1))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, pid := range fx.accounts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			_, err := c.run(ctx, fx.password+"\n", "account", "create", "--kind", "citizen", "--personal-id", pid,
				"--name", "Nguyễn Văn Thử", "--birthdate", "1999-06-15", "--gender", "male", "--password-stdin", "--json")
			if err != nil && strings.Contains(err.Error(), "already used") {
				// Left by an earlier run against the same database.
				_, err = c.run(ctx, fx.password+"\n", "account", "set-password", "--password-stdin", pid)
			}
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return fx, nil
}
