package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"gallerist/data"
)

// runUserCreate creates a user (or gives an existing one a role in another
// organization). The password comes from GALLERIST_PASSWORD or the first line
// of standard input, never from a flag (flags show up in process lists).
func runUserCreate(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	var cfg config
	fs := commonFlags("user create", getenv, &cfg)
	email := fs.String("email", "", "email address")
	orgSlug := fs.String("org", data.DefaultOrgSlug, "organization slug")
	role := fs.String("role", string(data.RoleOwner), "owner, editor or viewer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("user create needs --email")
	}
	r, err := data.ParseRole(*role)
	if err != nil {
		return cliError(err)
	}
	password := getenv("GALLERIST_PASSWORD")
	if password == "" && stdin != nil {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read password: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	if password == "" {
		return errors.New("give the password on standard input or in GALLERIST_PASSWORD")
	}
	a, err := openApp(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.db.Close()
	mb, err := a.users.CreateUser(ctx, data.UserCreate{Email: *email, Password: password, OrgSlug: *orgSlug, Role: r})
	if err != nil {
		return cliError(err)
	}
	fmt.Fprintf(stdout, "User %s is %s of %s (%s).\n%d\n", mb.Email, mb.Role, mb.OrgSlug, mb.OrgName, mb.UserID)
	return nil
}
