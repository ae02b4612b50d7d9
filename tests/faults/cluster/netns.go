package cluster

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Net is a private network of network namespaces: a hub namespace holding
// a bridge, and one member namespace per process joined to it by a veth.
// Every address is in 10.213.0.0/24 inside these namespaces, and no member
// has a route beyond it, so nothing the test does reaches the host's
// interfaces. Cut and Heal take a member's link down and up (both
// directions); Blackhole drops what one member sends to another (one
// direction), as an asymmetric partition does.
type Net struct {
	prefix  string
	hub     string
	members map[string]int // name -> host number (address 10.213.0.N)
}

// NetPrefix starts every namespace this package creates, so that leftovers
// of a killed run can be found and removed.
const NetPrefix = "trpart-"

// NewNet creates the hub. It removes leftovers of earlier runs first.
func NewNet() (*Net, error) {
	RemoveLeftoverNets()
	n := &Net{prefix: fmt.Sprintf("%s%d-", NetPrefix, os.Getpid()), members: map[string]int{}}
	n.hub = n.prefix + "hub"
	steps := [][]string{
		{"netns", "add", n.hub},
		{"-n", n.hub, "link", "set", "lo", "up"},
		{"-n", n.hub, "link", "add", "br0", "type", "bridge"},
		{"-n", n.hub, "addr", "add", "10.213.0.254/24", "dev", "br0"},
		{"-n", n.hub, "link", "set", "br0", "up"},
	}
	for _, s := range steps {
		if err := ipCmd(s...); err != nil {
			n.Close()
			return nil, err
		}
	}
	return n, nil
}

// RemoveLeftoverNets deletes namespaces of earlier runs whose process is
// gone (deleting a namespace removes its veths and bridge with it).
func RemoveLeftoverNets() {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		if !strings.HasPrefix(name, NetPrefix) {
			continue
		}
		var pid int
		if _, err := fmt.Sscanf(strings.TrimPrefix(name, NetPrefix), "%d-", &pid); err == nil {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil && pid != os.Getpid() {
				continue // a run still going on
			}
		}
		_ = ipCmd("netns", "del", name)
	}
}

// Add creates member name's namespace, joined to the hub, and returns its
// address.
func (n *Net) Add(name string) (string, error) {
	if _, ok := n.members[name]; ok {
		return n.Addr(name), nil
	}
	num := len(n.members) + 1
	n.members[name] = num
	ns, hubSide := n.NS(name), fmt.Sprintf("h%d", num)
	steps := [][]string{
		{"netns", "add", ns},
		{"-n", ns, "link", "set", "lo", "up"},
		{"-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", hubSide, "netns", n.hub},
		{"-n", ns, "addr", "add", n.Addr(name) + "/24", "dev", "eth0"},
		{"-n", ns, "link", "set", "eth0", "up"},
		{"-n", n.hub, "link", "set", hubSide, "master", "br0", "up"},
	}
	for _, s := range steps {
		if err := ipCmd(s...); err != nil {
			return "", err
		}
	}
	return n.Addr(name), nil
}

// NS is the namespace of member name.
func (n *Net) NS(name string) string { return n.prefix + name }

// Hub is the namespace the test itself talks from (see Dialer).
func (n *Net) Hub() string { return n.hub }

// Addr is member name's address.
func (n *Net) Addr(name string) string { return fmt.Sprintf("10.213.0.%d", n.members[name]) }

// Cut takes member name's link down: it can reach no one, no one reaches it.
func (n *Net) Cut(name string) error {
	return ipCmd("-n", n.hub, "link", "set", fmt.Sprintf("h%d", n.members[name]), "down")
}

// Heal brings member name's link back up.
func (n *Net) Heal(name string) error {
	return ipCmd("-n", n.hub, "link", "set", fmt.Sprintf("h%d", n.members[name]), "up")
}

// Blackhole drops what from sends to to (to still reaches from: one
// direction only); Unblackhole ends it.
func (n *Net) Blackhole(from, to string) error {
	return ipCmd("-n", n.NS(from), "route", "add", "blackhole", n.Addr(to)+"/32")
}

// Unblackhole ends Blackhole(from, to).
func (n *Net) Unblackhole(from, to string) error {
	return ipCmd("-n", n.NS(from), "route", "del", "blackhole", n.Addr(to)+"/32")
}

// Command wraps a command line to run in member name's namespace.
func (n *Net) Command(name, path string, args ...string) (string, []string) {
	return "ip", append([]string{"netns", "exec", n.NS(name), path}, args...)
}

// Close deletes every namespace of n, and with them their links.
func (n *Net) Close() {
	for name := range n.members {
		_ = ipCmd("netns", "del", n.NS(name))
	}
	_ = ipCmd("netns", "del", n.hub)
}

// Dialer dials from inside the hub namespace, so that the test's own NATS
// client reaches the members without any address on the host: the socket
// is created on an OS thread switched into the hub (a socket stays in the
// namespace it was created in).
func (n *Net) Dialer() *NSDialer { return &NSDialer{Path: "/run/netns/" + n.hub} }

// NSDialer is a nats.CustomDialer dialing from the namespace at Path.
type NSDialer struct{ Path string }

// Dial implements nats.CustomDialer.
func (d *NSDialer) Dial(network, address string) (net.Conn, error) {
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		runtime.LockOSThread() // left locked (the thread dies) if it cannot switch back
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			ch <- res{nil, err}
			return
		}
		defer orig.Close()
		target, err := os.Open(d.Path)
		if err != nil {
			ch <- res{nil, err}
			return
		}
		defer target.Close()
		if err := setns(target); err != nil {
			ch <- res{nil, fmt.Errorf("enter %s: %w", d.Path, err)}
			return
		}
		c, err := net.DialTimeout(network, address, 2*time.Second)
		if setns(orig) == nil {
			runtime.UnlockOSThread()
		}
		ch <- res{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

func setns(f *os.File) error {
	return unix.Setns(int(f.Fd()), unix.CLONE_NEWNET)
}

func ipCmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
