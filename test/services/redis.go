package services

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisServer is a throwaway redis-server on a loopback port, without
// persistence: a restart loses its data, as the loss of a Redis deployment does.
type RedisServer struct {
	// Addr is the host:port it listens on.
	Addr string
	// Dir is its working directory.
	Dir string

	bin   string
	port  int
	extra []string // further command-line options

	daemon
}

func redisDaemon() daemon { return daemon{what: "Redis", stopSignal: syscall.SIGTERM} }

// Redis returns the address of the shared single Redis server (see Run).
// Tests sharing it must use keys of their own (a prefix per test).
func Redis(t testing.TB) string {
	t.Helper()
	return sharedServer(t, &shared.redis, startRedis).Addr
}

// StartRedis starts a Redis server of the test's own, stopped when the test ends.
func StartRedis(t testing.TB) *RedisServer {
	t.Helper()
	return startRedis(t, func(stop func() error) {
		t.Cleanup(func() {
			if err := stop(); err != nil {
				t.Error(err)
			}
		})
	})
}

// StartRedisWith starts a Redis server of the test's own with further
// redis-server options, such as "--maxmemory-policy", "allkeys-lru" or
// "--rename-command", "CONFIG", "", stopped when the test ends.
func StartRedisWith(t testing.TB, options ...string) *RedisServer {
	t.Helper()
	bin := redisBinary(t, "redis-server")
	dir, err := os.MkdirTemp("", "dinhdanh-redis-")
	if err != nil {
		t.Fatal(err)
	}
	s, err := launchRedis(bin, dir, false, options)
	if err != nil {
		os.RemoveAll(dir)
		fail(t, fmt.Errorf("starting Redis with %q: %w", options, err))
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func redisBinary(t testing.TB, name string) string {
	t.Helper()
	p, err := findRedisBinary(name)
	if err != nil {
		fail(t, err)
	}
	return p
}

// findRedisBinary returns the path of a Redis program, or a *MissingError.
func findRedisBinary(name string) (string, error) {
	p, err := findBinary(name, false)
	if err != nil {
		return "", &MissingError{What: "Redis (" + name + ")", Err: err}
	}
	return p, nil
}

func startRedis(t testing.TB, cleanup func(func() error)) *RedisServer {
	t.Helper()
	s, err := LaunchRedis()
	if err != nil {
		fail(t, err)
	}
	cleanup(s.Close)
	return s
}

// LaunchRedis starts a Redis server outside a test; Close stops it and
// removes its directory. A missing program is a *MissingError.
func LaunchRedis() (*RedisServer, error) {
	bin, err := findRedisBinary("redis-server")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "dinhdanh-redis-")
	if err != nil {
		return nil, err
	}
	s, err := launchRedis(bin, dir, false, nil)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting Redis: %w", err)
	}
	return s, nil
}

// Close stops the server for good and removes its directory.
func (s *RedisServer) Close() error {
	err := s.halt()
	if rerr := os.RemoveAll(s.Dir); err == nil {
		err = rerr
	}
	return err
}

// Version returns the redis_version the server reports (INFO server).
func (s *RedisServer) Version() (string, error) {
	c := redis.NewClient(&redis.Options{Addr: s.Addr, DialTimeout: 5 * time.Second, MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info, err := c.Info(ctx, "server").Result()
	if err != nil {
		return "", fmt.Errorf("INFO server at %s: %w", s.Addr, err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("INFO server at %s names no redis_version", s.Addr)
}

// launchRedis starts redis-server on a free port, retrying when the port was
// taken in the meantime.
func launchRedis(bin, dir string, cluster bool, extra []string) (*RedisServer, error) {
	var lastErr error
	for range 5 {
		port, err := freePort(cluster)
		if err != nil {
			return nil, err
		}
		s := &RedisServer{Addr: "127.0.0.1:" + strconv.Itoa(port), Dir: dir, bin: bin, port: port, extra: extra,
			daemon: redisDaemon()}
		if lastErr = s.start(); lastErr == nil {
			return s, nil
		}
	}
	return nil, lastErr
}

func (s *RedisServer) start() error {
	argv := []string{s.bin, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--protected-mode", "no",
		"--save", "", "--appendonly", "no", "--dir", s.Dir, "--daemonize", "no", "--logfile", "",
		"--loglevel", "warning"}
	argv = append(argv, s.extra...)
	p, err := startProcess("redis-server "+s.Addr, argv, s.Dir, nil, syscall.SIGTERM)
	if err != nil {
		return err
	}
	err = p.waitUntil(func() error {
		c, err := net.DialTimeout("tcp", s.Addr, time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(time.Second))
		if _, err := c.Write([]byte("PING\r\n")); err != nil {
			return err
		}
		buf := make([]byte, 64)
		n, err := c.Read(buf)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(string(buf[:n]), "+PONG") {
			return fmt.Errorf("PING answered %q", buf[:n])
		}
		return nil
	})
	if err != nil {
		_ = p.stop(syscall.SIGKILL)
		return err
	}
	s.running(p)
	return nil
}

// Start starts a stopped server (Stop loses its data) again on the same
// port, empty.
func (s *RedisServer) Start(t testing.TB) {
	t.Helper()
	s.restart(t, s.start)
}

// Restart stops the server and starts it again, empty.
func (s *RedisServer) Restart(t testing.TB) {
	t.Helper()
	s.Stop(t)
	s.Start(t)
}

// RedisCluster is a throwaway Redis Cluster of three masters (no replicas)
// on loopback ports.
type RedisCluster struct {
	// Addrs are the masters' host:port addresses.
	Addrs []string

	nodes []*RedisServer
}

// RedisClusterAddrs returns the addresses of the shared Redis Cluster (see Run).
func RedisClusterAddrs(t testing.TB) []string {
	t.Helper()
	return sharedServer(t, &shared.cluster, startRedisCluster).Addrs
}

// StartRedisCluster starts a Redis Cluster of the test's own, stopped when the test ends.
func StartRedisCluster(t testing.TB) *RedisCluster {
	t.Helper()
	return startRedisCluster(t, func(stop func() error) {
		t.Cleanup(func() {
			if err := stop(); err != nil {
				t.Error(err)
			}
		})
	})
}

func startRedisCluster(t testing.TB, cleanup func(func() error)) *RedisCluster {
	t.Helper()
	bin := redisBinary(t, "redis-server")
	cli := redisBinary(t, "redis-cli")
	dir, err := os.MkdirTemp("", "dinhdanh-redis-cluster-")
	if err != nil {
		t.Fatal(err)
	}
	c := &RedisCluster{}
	stop := func() error {
		var errs []error
		for _, n := range c.nodes {
			if err := n.halt(); err != nil {
				errs = append(errs, err)
			}
		}
		os.RemoveAll(dir)
		if len(errs) > 0 {
			return fmt.Errorf("stopping the Redis Cluster: %v", errs)
		}
		return nil
	}
	fail := func(format string, args ...any) {
		t.Helper()
		_ = stop()
		t.Fatalf(format, args...)
	}
	for i := range 3 {
		nodeDir := filepath.Join(dir, strconv.Itoa(i))
		if err := os.Mkdir(nodeDir, 0o700); err != nil {
			fail("%v", err)
		}
		n, err := launchRedis(bin, nodeDir, true, []string{"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"})
		if err != nil {
			fail("starting a Redis Cluster node: %v", err)
		}
		c.nodes = append(c.nodes, n)
		c.Addrs = append(c.Addrs, n.Addr)
	}
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		fail("redis-cli --cluster create: %v\n%s", err, out)
	}
	// Every node must know every slot's owner before the cluster serves.
	deadline := time.Now().Add(StartTimeout)
	for _, addr := range c.Addrs {
		for {
			info, err := clusterInfo(addr)
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:3") {
				break
			}
			if time.Now().After(deadline) {
				fail("the Redis Cluster did not become ready: %s (%v)", info, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	cleanup(stop)
	return c
}

func clusterInfo(addr string) (string, error) {
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return c.ClusterInfo(ctx).Result()
}

// RedisSentinel is a throwaway Redis master watched by one Sentinel, on
// loopback ports.
type RedisSentinel struct {
	// MasterName is the name the Sentinel knows the master by.
	MasterName string
	// SentinelAddrs are the Sentinels' host:port addresses.
	SentinelAddrs []string
	// Master is the master server.
	Master *RedisServer

	sentinel *RedisServer
}

// RedisSentinelDeployment returns the shared Sentinel deployment (see Run).
func RedisSentinelDeployment(t testing.TB) *RedisSentinel {
	t.Helper()
	return sharedServer(t, &shared.sentinel, startRedisSentinel)
}

func startRedisSentinel(t testing.TB, cleanup func(func() error)) *RedisSentinel {
	t.Helper()
	bin := redisBinary(t, "redis-server")
	dir, err := os.MkdirTemp("", "dinhdanh-redis-sentinel-")
	if err != nil {
		t.Fatal(err)
	}
	d := &RedisSentinel{MasterName: "dinhdanh"}
	stop := func() error {
		var errs []error
		for _, s := range []*RedisServer{d.sentinel, d.Master} {
			if s != nil {
				if err := s.halt(); err != nil {
					errs = append(errs, err)
				}
			}
		}
		os.RemoveAll(dir)
		if len(errs) > 0 {
			return fmt.Errorf("stopping the Redis Sentinel deployment: %v", errs)
		}
		return nil
	}
	fail := func(format string, args ...any) {
		t.Helper()
		_ = stop()
		t.Fatalf(format, args...)
	}
	masterDir, sentinelDir := filepath.Join(dir, "master"), filepath.Join(dir, "sentinel")
	for _, d := range []string{masterDir, sentinelDir} {
		if err := os.Mkdir(d, 0o700); err != nil {
			fail("%v", err)
		}
	}
	if d.Master, err = launchRedis(bin, masterDir, false, nil); err != nil {
		fail("starting the Redis master: %v", err)
	}
	// A Sentinel rewrites its configuration file: it must be its own.
	conf := filepath.Join(sentinelDir, "sentinel.conf")
	text := fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 1\nsentinel down-after-milliseconds %s 5000\n",
		d.MasterName, d.Master.port, d.MasterName)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		fail("%v", err)
	}
	// "redis-server FILE --sentinel": the file must come first.
	s := &RedisServer{Dir: sentinelDir, bin: bin, daemon: redisDaemon()}
	for range 5 {
		if s.port, err = freePort(false); err != nil {
			fail("%v", err)
		}
		s.Addr = "127.0.0.1:" + strconv.Itoa(s.port)
		if err = s.startSentinel(conf); err == nil {
			break
		}
	}
	if err != nil {
		fail("starting the Redis Sentinel: %v", err)
	}
	d.sentinel = s
	d.SentinelAddrs = []string{s.Addr}
	// Wait until the Sentinel names the master.
	deadline := time.Now().Add(StartTimeout)
	for {
		c := redis.NewSentinelClient(&redis.Options{Addr: s.Addr, DialTimeout: time.Second, MaxRetries: -1})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		addr, err := c.GetMasterAddrByName(ctx, d.MasterName).Result()
		cancel()
		c.Close()
		if err == nil && len(addr) == 2 && net.JoinHostPort(addr[0], addr[1]) == d.Master.Addr {
			break
		}
		if time.Now().After(deadline) {
			fail("the Redis Sentinel does not name the master: %v %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cleanup(stop)
	return d
}

func (s *RedisServer) startSentinel(conf string) error {
	p, err := startProcess("redis-sentinel "+s.Addr, []string{s.bin, conf, "--sentinel", "--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1", "--protected-mode", "no", "--daemonize", "no", "--logfile", "", "--loglevel", "warning"},
		s.Dir, nil, syscall.SIGTERM)
	if err != nil {
		return err
	}
	err = p.waitUntil(func() error {
		c := redis.NewSentinelClient(&redis.Options{Addr: s.Addr, DialTimeout: time.Second, MaxRetries: -1})
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return c.Ping(ctx).Err()
	})
	if err != nil {
		_ = p.stop(syscall.SIGKILL)
		return err
	}
	s.running(p)
	return nil
}

// Relaunch starts a server stopped by Shutdown (or Stop) again on the same
// port, empty, as Start does, for a caller outside a test.
func (s *RedisServer) Relaunch() error {
	if s.Pid() != 0 {
		return fmt.Errorf("redis at %s is already running", s.Addr)
	}
	return s.start()
}
