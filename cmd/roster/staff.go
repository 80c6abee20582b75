package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"roster"
	"roster/password"
)

// readPassword reads a password from stdin: hidden at a prompt on a
// terminal, the first line otherwise. An empty answer means "generate one";
// generated is true when the caller must print it. A generated password
// passes the staff policy for the account at email.
func readPassword(stdin io.Reader, stdout io.Writer, email string) (pw string, generated bool, err error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stdout, "Password (leave empty to generate one): ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdout)
		if err != nil {
			return "", false, err
		}
		pw = string(b)
	} else if stdin != nil {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", false, err
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	if pw == "" {
		return password.GenerateChecked(20, func(pw string) error { return roster.StaffPasswords.Check(pw, email) }), true, nil
	}
	return pw, false, nil
}

func runStaffCreate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	m := &Main{Config: DefaultConfig()}
	var email, role, name string
	err := parse("staff create", args, &m.Config, false, stdout, stderr, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "email address (required)")
		fs.StringVar(&role, "role", "", "owner, admin, manager, support or viewer (required)")
		fs.StringVar(&name, "name", "", "display name")
	})
	if err != nil {
		return err
	}
	if email == "" || role == "" {
		return fmt.Errorf("--email and --role are required")
	}
	r, err := roster.ParseRole(role)
	if err != nil {
		return err
	}
	pw, generated, err := readPassword(stdin, stdout, email)
	if err != nil {
		return err
	}
	if err := m.OpenDB(ctx); err != nil {
		return err
	}
	defer m.Close()
	s := &roster.Staff{Email: email, Name: name, Role: r}
	if err := m.Staff.CreateStaff(cliContext(ctx), s, pw); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Created %s (%s).\n", s.Email, s.Role)
	if generated {
		fmt.Fprintf(stdout, "Password: %s   (shown once)\n", pw)
	}
	return nil
}

func runStaffPassword(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	m := &Main{Config: DefaultConfig()}
	var email string
	err := parse("staff password", args, &m.Config, false, stdout, stderr, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "email address of the staff account (required)")
	})
	if err != nil {
		return err
	}
	if email == "" {
		return fmt.Errorf("--email is required")
	}
	pw, generated, err := readPassword(stdin, stdout, email)
	if err != nil {
		return err
	}
	if err := m.OpenDB(ctx); err != nil {
		return err
	}
	defer m.Close()
	s, err := m.Staff.FindStaffByEmail(ctx, email)
	if err != nil {
		return fmt.Errorf("no staff account %s", email)
	}
	if _, err := m.Staff.UpdateStaff(cliContext(ctx), s.ID, roster.StaffUpdate{Password: &pw}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Password of %s changed; its sessions were ended.\n", s.Email)
	if generated {
		fmt.Fprintf(stdout, "Password: %s   (shown once)\n", pw)
	}
	return nil
}

func runStaffList(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	m := &Main{Config: DefaultConfig()}
	if err := parse("staff list", args, &m.Config, false, stdout, stderr, getenv, nil); err != nil {
		return err
	}
	if err := m.OpenDB(ctx); err != nil {
		return err
	}
	defer m.Close()
	staff, err := m.Staff.FindStaff(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EMAIL\tNAME\tROLE\tACTIVE\tLAST SIGN-IN")
	for _, s := range staff {
		last := "never"
		if !s.LastLoginAt.IsZero() {
			last = s.LastLoginAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%s\n", s.Email, s.Name, s.Role, s.Active, last)
	}
	return tw.Flush()
}

func runTokenCreate(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	m := &Main{Config: DefaultConfig()}
	var email, name string
	err := parse("token create", args, &m.Config, false, stdout, stderr, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "staff", "", "email of the staff account the token acts as (required)")
		fs.StringVar(&name, "name", "", "what the token is for (required)")
	})
	if err != nil {
		return err
	}
	if email == "" || name == "" {
		return fmt.Errorf("--staff and --name are required")
	}
	if err := m.OpenDB(ctx); err != nil {
		return err
	}
	defer m.Close()
	s, err := m.Staff.FindStaffByEmail(ctx, email)
	if err != nil {
		return fmt.Errorf("no staff account %s", email)
	}
	_, secret, err := m.Staff.CreateToken(cliContext(ctx), s.ID, name)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", secret)
	fmt.Fprintf(stderr, "Token %q for %s (%s). It is shown once; store it now.\n", name, s.Email, s.Role)
	return nil
}
