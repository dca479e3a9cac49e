package conformance

import (
	"errors"
	"testing"

	"github.com/dinhdanh/dinhdanh/store"
)

// testAdminRoles checks that roles are held per agency, that holding one
// makes the account an administrator, and that an administrator created
// as such holds the province-wide super_admin role.
func testAdminRoles(t *testing.T, open func(t *testing.T) store.Store) {
	s, ctx := open(t), t.Context()
	a := localOfficial("Lê Văn Quản Trị", "quantri.lv")
	must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
	if got, err := s.RolesOf(ctx, a.ID); err != nil || len(got) != 0 {
		t.Fatalf("RolesOf(new account) = %v, %v; want none", got, err)
	}
	g := &store.RoleGrant{AccountID: a.ID, Role: store.RoleAgencyAdmin, Agency: "STTTT", SubUnits: true,
		GrantedBy: "cli", GrantedAt: now()}
	must(t, s.GrantRole(ctx, g), "GrantRole")
	got, err := s.GetAccount(ctx, a.ID)
	must(t, err, "GetAccount")
	if !got.Admin {
		t.Fatal("an account holding a role does not read as an administrator")
	}
	wantConflict(t, s.GrantRole(ctx, &store.RoleGrant{AccountID: a.ID, Role: store.RoleAgencyAdmin, Agency: "STTTT",
		GrantedBy: "other"}), "role", "GrantRole(held again)")
	// The same role in another agency is another grant.
	must(t, s.GrantRole(ctx, &store.RoleGrant{AccountID: a.ID, Role: store.RoleHelpdesk, Agency: "UBND-HUYEN-A",
		GrantedBy: "cli"}), "GrantRole(helpdesk)")
	if err := s.GrantRole(ctx, &store.RoleGrant{AccountID: "no-such-account", Role: store.RoleAuditor,
		GrantedBy: "cli"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GrantRole(unknown account) = %v, want ErrNotFound", err)
	}
	roles, err := s.RolesOf(ctx, a.ID)
	must(t, err, "RolesOf")
	if len(roles) != 2 || roles[0].Role != store.RoleAgencyAdmin || roles[1].Role != store.RoleHelpdesk {
		t.Fatalf("RolesOf = %+v, want agency_admin then helpdesk", roles)
	}
	r := roles[0]
	if r.Agency != "STTTT" || !r.SubUnits || r.GrantedBy != "cli" || !sameTime(r.GrantedAt, g.GrantedAt) {
		t.Fatalf("grant read back as %+v, want %+v", r, g)
	}
	in, err := s.ListRoleGrants(ctx, "UBND-HUYEN-A")
	must(t, err, "ListRoleGrants(agency)")
	if len(in) != 1 || in[0].Role != store.RoleHelpdesk {
		t.Fatalf("ListRoleGrants(UBND-HUYEN-A) = %+v", in)
	}
	all, err := s.ListRoleGrants(ctx, "")
	must(t, err, "ListRoleGrants(all)")
	if len(all) != 2 {
		t.Fatalf("ListRoleGrants(all) = %d grants, want 2", len(all))
	}
	must(t, s.RevokeRole(ctx, a.ID, store.RoleAgencyAdmin, "STTTT"), "RevokeRole")
	wantErr(t, s.RevokeRole(ctx, a.ID, store.RoleAgencyAdmin, "STTTT"), store.ErrNotFound, "RevokeRole(again)")
	got, _ = s.GetAccount(ctx, a.ID)
	if !got.Admin {
		t.Fatal("an account still holding helpdesk does not read as an administrator")
	}
	must(t, s.RevokeRole(ctx, a.ID, store.RoleHelpdesk, "UBND-HUYEN-A"), "RevokeRole(last)")
	got, _ = s.GetAccount(ctx, a.ID)
	if got.Admin {
		t.Fatal("an account without roles reads as an administrator")
	}
	// An account updated with Admin set does not become one: only roles count.
	got.Admin = true
	must(t, s.UpdateAccount(ctx, got), "UpdateAccount")
	if got, _ = s.GetAccount(ctx, a.ID); got.Admin {
		t.Fatal("UpdateAccount with Admin set made an administrator without a role")
	}

	// An administrator created as such holds super_admin over the province.
	b := localOfficial("Phạm Thị Đầu Tiên", "dautien.pt")
	b.Admin = true
	must(t, s.CreateAccount(ctx, b, ""), "CreateAccount(admin)")
	roles, err = s.RolesOf(ctx, b.ID)
	must(t, err, "RolesOf(admin)")
	if len(roles) != 1 || roles[0].Role != store.RoleSuperAdmin || roles[0].Agency != "" {
		t.Fatalf("RolesOf(created admin) = %+v, want super_admin over the province", roles)
	}
	// A failed create grants nothing: the username is taken.
	c := localOfficial("Trùng Tên", "dautien.pt")
	c.Admin = true
	wantConflict(t, s.CreateAccount(ctx, c, ""), "username", "CreateAccount(taken username, admin)")
	if roles, _ := s.RolesOf(ctx, c.ID); len(roles) != 0 {
		t.Fatalf("a refused account creation left roles: %+v", roles)
	}
}
