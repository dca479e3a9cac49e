package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/dinhdanh/dinhdanh/test/services"
)

// maxNodes bounds --nodes: each node keeps its own pool of database
// connections and its own memory, on a machine that also runs the load.
const maxNodes = 16

// deployment is what the load is driven at: the nodes, which get the
// requests in turn, and the services they share.
type deployment struct {
	nodes   []string  // base URLs, http://127.0.0.1:PORT; the first is the issuer
	pids    []int     // the nodes' process ids, 0 when unknown
	servers []*server // the nodes this run started
	pg      *services.PostgresServer
	redis   *services.RedisServer
	// describe says what ran, for the report's "server:" line.
	describe string
	closers  []func()
}

// close stops what the deployment started, the nodes before the services
// they use.
func (d *deployment) close() {
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
	d.closers = nil
}

// addNodes records the nodes this run starts and stops them (all at once:
// each may take its grace period) when the deployment is closed.
func (d *deployment) addNodes(srvs ...*server) {
	for _, s := range srvs {
		d.servers = append(d.servers, s)
		d.nodes = append(d.nodes, s.base)
	}
	d.closers = append(d.closers, func() {
		var wg sync.WaitGroup
		for _, s := range srvs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.stop()
			}()
		}
		wg.Wait()
	})
}

// nodeName returns how messages name node i of n: "" when it is alone.
func nodeName(i, n int) string {
	if n == 1 {
		return ""
	}
	return fmt.Sprintf(" (node %d)", i+1)
}

// alive returns an error when a node this run started has exited.
func (d *deployment) alive() error {
	for i, s := range d.servers {
		select {
		case <-s.exited:
			return fmt.Errorf("dinhdanh serve%s exited during the run (%v):\n%s", nodeName(i, len(d.servers)), s.err, tail(s.logPath, 20))
		default:
		}
	}
	return nil
}

// watched reports whether the process of at least one node is known.
func (d *deployment) watched() bool {
	for _, pid := range d.pids {
		if pid > 0 {
			return true
		}
	}
	return false
}

// servicePids returns the main processes of PostgreSQL (the postmaster) and
// Redis, when this run started them.
func (d *deployment) servicePids() []int {
	var pids []int
	if d.pg != nil && d.pg.Pid() > 0 {
		pids = append(pids, d.pg.Pid())
	}
	if d.redis != nil && d.redis.Pid() > 0 {
		pids = append(pids, d.redis.Pid())
	}
	return pids
}

// cpu reads the CPU time used so far by the nodes, by the services (each
// with its descendants, read live from /proc), by this process and by the
// machine.
func (d *deployment) cpu() cpuTimes {
	var t cpuTimes
	for _, pid := range d.pids {
		if pid > 0 {
			c, _ := processCPU(pid)
			t.server += c
		}
	}
	for _, pid := range d.servicePids() {
		c, _ := treeCPU(pid)
		t.services += c
	}
	t.self, t.machine = selfCPU(), machineCPU()
	return t
}

// nodeEnv returns the environment of a node this run starts: the settings
// every node shares, its own data directory and its own address.
func nodeEnv(o *options, shared map[string]string, dataDir string, port int, issuer string) []string {
	set := map[string]string{
		"DINHDANH_DATA_DIR":                    dataDir,
		"DINHDANH_LISTEN":                      fmt.Sprintf("127.0.0.1:%d", port),
		"DINHDANH_ISSUER":                      issuer,
		"DINHDANH_LOG_LEVEL":                   o.logLevel,
		"DINHDANH_KEYS_ACCESS_TOKEN_ALGORITHM": o.alg,
		"DINHDANH_PASSWORD_MEMORY_KIB":         fmt.Sprint(o.argonM),
		"DINHDANH_PASSWORD_ITERATIONS":         fmt.Sprint(o.argonT),
		"DINHDANH_PASSWORD_PARALLELISM":        fmt.Sprint(o.argonP),
	}
	for k, v := range shared {
		set[k] = v
	}
	return hermeticEnv(set)
}

// freeLoopbackPorts returns n different TCP ports that are free on
// 127.0.0.1 now.
func freeLoopbackPorts(n int) ([]int, error) {
	var ports []int
	for attempts := 0; len(ports) < n; attempts++ {
		if attempts > 10*n {
			return nil, fmt.Errorf("no %d different free loopback ports found", n)
		}
		p, err := freeLoopbackPort()
		if err != nil {
			return nil, err
		}
		if !slices.Contains(ports, p) {
			ports = append(ports, p)
		}
	}
	return ports, nil
}

// startSQLite starts one node on SQLite in tmp: first on an empty data
// directory, where it is provisioned, then again, as an operator restarts it.
func (d *deployment) startSQLite(ctx context.Context, o *options, bin, tmp string, rep *report,
	progress func(string, ...any)) (*fixture, error) {
	port, err := freeLoopbackPort()
	if err != nil {
		return nil, err
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	env := nodeEnv(o, nil, filepath.Join(tmp, "data"), port, base)
	srv := &server{bin: bin, env: env, base: base, logPath: filepath.Join(tmp, "server.log")}
	d.addNodes(srv)
	d.describe = "started by this run at " + base + ", SQLite in a temporary directory"

	progress("starting dinhdanh serve on %s (empty data directory)", base)
	if rep.startFirst, err = srv.start(ctx); err != nil {
		return nil, err
	}
	progress("provisioning 2 clients and %d citizens through the CLI", o.accounts)
	fx, err := provision(ctx, &cli{argv: []string{bin}, env: env}, o.accounts, o.idTokenAlg, runtime.NumCPU())
	if err != nil {
		return nil, err
	}
	if err := d.restartFirst(ctx, rep, progress); err != nil {
		return nil, err
	}
	d.pids = []int{srv.pid()}
	return fx, nil
}

// restartFirst stops the first node and starts it again, timing the restart.
func (d *deployment) restartFirst(ctx context.Context, rep *report, progress func(string, ...any)) error {
	srv := d.servers[0]
	srv.stop()
	if srv.err != nil {
		return fmt.Errorf("dinhdanh serve did not stop cleanly: %v\n%s", srv.err, tail(srv.logPath, 20))
	}
	progress("restarting dinhdanh serve")
	var err error
	rep.startRestart, err = srv.start(ctx)
	return err
}

// startPostgres starts PostgreSQL (with the durability of production) and
// Redis, migrates a database and starts o.nodes nodes that share them, the
// seal key and the issuer, which is the first node's URL. The first node is
// started first on the freshly migrated database, provisioned through the
// CLI, and started again, as startSQLite does; then the others.
func (d *deployment) startPostgres(ctx context.Context, o *options, bin, tmp string, rep *report,
	progress func(string, ...any)) (*fixture, error) {
	progress("starting PostgreSQL (durable: fsync and synchronous_commit on) and Redis")
	pg, err := services.LaunchPostgres(true)
	if err != nil {
		return nil, err
	}
	d.pg = pg
	d.closers = append(d.closers, func() {
		if err := pg.Close(); err != nil {
			progress("stopping PostgreSQL: %v", err)
		}
	})
	rds, err := services.LaunchRedis()
	if err != nil {
		return nil, err
	}
	d.redis = rds
	d.closers = append(d.closers, func() {
		if err := rds.Close(); err != nil {
			progress("stopping Redis: %v", err)
		}
	})
	dbURL, err := pg.CreateDatabase("dinhdanh")
	if err != nil {
		return nil, fmt.Errorf("creating the database: %w", err)
	}
	// Every node must unseal what another one sealed: one key for all.
	sealKey := make([]byte, 32)
	if _, err := rand.Read(sealKey); err != nil {
		return nil, err
	}
	sealPath := filepath.Join(tmp, "seal.key")
	if err := os.WriteFile(sealPath, []byte(base64.StdEncoding.EncodeToString(sealKey)+"\n"), 0o600); err != nil {
		return nil, err
	}
	ports, err := freeLoopbackPorts(o.nodes)
	if err != nil {
		return nil, err
	}
	issuer := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	shared := map[string]string{
		"DINHDANH_DATABASE_URL":       dbURL,
		"DINHDANH_REDIS_ADDRS":        rds.Addr,
		"DINHDANH_KEYS_SEAL_KEY_FILE": sealPath,
	}
	srvs := make([]*server, o.nodes)
	for i, port := range ports {
		name := fmt.Sprintf("node%d", i+1)
		srvs[i] = &server{bin: bin, env: nodeEnv(o, shared, filepath.Join(tmp, name), port, issuer),
			base: fmt.Sprintf("http://127.0.0.1:%d", port), logPath: filepath.Join(tmp, name+".log")}
	}
	d.addNodes(srvs...)
	c := &cli{argv: []string{bin}, env: srvs[0].env}

	progress("dinhdanh migrate")
	if _, err := c.run(ctx, "", "migrate"); err != nil {
		return nil, err
	}
	progress("starting dinhdanh serve on %s (freshly migrated empty database)", srvs[0].base)
	if rep.startFirst, err = srvs[0].start(ctx); err != nil {
		return nil, err
	}
	progress("provisioning 2 clients and %d citizens through the CLI", o.accounts)
	fx, err := provision(ctx, c, o.accounts, o.idTokenAlg, runtime.NumCPU())
	if err != nil {
		return nil, err
	}
	if err := d.restartFirst(ctx, rep, progress); err != nil {
		return nil, err
	}
	for i, s := range srvs[1:] {
		progress("starting node %d on %s", i+2, s.base)
		took, err := s.start(ctx)
		if err != nil {
			return nil, fmt.Errorf("node %d: %w", i+2, err)
		}
		rep.startOthers = append(rep.startOthers, took)
	}
	for _, s := range srvs {
		d.pids = append(d.pids, s.pid())
	}

	desc, err := d.describeServices()
	if err != nil {
		return nil, err
	}
	if o.nodes == 1 {
		d.describe = fmt.Sprintf("1 node started by this run at %s on %s", issuer, desc)
	} else {
		d.describe = fmt.Sprintf("%d nodes started by this run at %s on %s, requests spread round-robin over the nodes by the load generator",
			o.nodes, strings.Join(d.nodes, ", "), desc)
	}
	return fx, nil
}

// describeServices names PostgreSQL and Redis with the versions and the
// durability settings the servers report.
func (d *deployment) describeServices() (string, error) {
	show := map[string]string{}
	for _, name := range []string{"server_version", "fsync", "synchronous_commit", "shared_buffers"} {
		v, err := d.pg.Show(name)
		if err != nil {
			return "", err
		}
		show[name] = v
	}
	redisVersion, err := d.redis.Version()
	if err != nil {
		return "", err
	}
	durability := fmt.Sprintf("fsync %s, synchronous_commit %s", show["fsync"], show["synchronous_commit"])
	if show["fsync"] == show["synchronous_commit"] {
		durability = "fsync and synchronous_commit " + show["fsync"]
	}
	// "15.14 (Debian 15.14-0+deb12u1)": the number is enough.
	version, _, _ := strings.Cut(show["server_version"], " ")
	return fmt.Sprintf("PostgreSQL %s (%s, shared_buffers %s) + Redis %s", version, durability, show["shared_buffers"],
		redisVersion), nil
}
