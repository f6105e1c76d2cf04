package gitserver

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"
)

// Access is what an account may do.
type Access string

const (
	Read Access = "read" // clone and fetch
	Push Access = "push" // also push
)

// Account is one basic-auth user.
type Account struct {
	User     string
	Password string
	Access   Access
}

// Accounts are the server's users, as its credentials file lists them:
// one "user password access" line each, '#' comments allowed.
type Accounts []Account

// ParseAccounts reads a credentials file.
func ParseAccounts(data string) (Accounts, error) {
	var out Accounts
	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("credentials line %d: want \"user password read|push\"", n)
		}
		a := Account{User: f[0], Password: f[1], Access: Access(f[2])}
		if a.Access != Read && a.Access != Push {
			return nil, fmt.Errorf("credentials line %d: access %q is neither read nor push", n, f[2])
		}
		if seen[a.User] {
			return nil, fmt.Errorf("credentials line %d: user %s given twice", n, a.User)
		}
		seen[a.User] = true
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("credentials: no account")
	}
	return out, nil
}

// Format writes accounts in the file format ParseAccounts reads.
func (as Accounts) Format() string {
	var b strings.Builder
	b.WriteString("# user password access(read|push): tools/internal/gitserver\n")
	for _, a := range as {
		fmt.Fprintf(&b, "%s %s %s\n", a.User, a.Password, a.Access)
	}
	return b.String()
}

// Check returns the account that user and password name, comparing in
// constant time (over hashes, so lengths do not leak either).
func (as Accounts) Check(user, password string) (Account, bool) {
	var found Account
	ok := 0
	pw := sha256.Sum256([]byte(password))
	for _, a := range as {
		want := sha256.Sum256([]byte(a.Password))
		match := subtle.ConstantTimeCompare(pw[:], want[:]) & subtle.ConstantTimeCompare([]byte(user), []byte(a.User))
		if match == 1 {
			found = a
		}
		ok |= match
	}
	return found, ok == 1
}

// Find returns the first account with access.
func (as Accounts) Find(access Access) (Account, bool) {
	for _, a := range as {
		if a.Access == access {
			return a, true
		}
	}
	return Account{}, false
}
