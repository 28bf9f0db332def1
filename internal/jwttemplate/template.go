package jwttemplate

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"regexp"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/seal"
	"github.com/conciergehq/concierge/internal/user"
)

// Template is a JWT template.
type Template struct {
	ID               string          `json:"id"`
	Name             string          `json:"name"`
	Claims           json.RawMessage `json:"claims"`
	Lifetime         int64           `json:"lifetime"`           // seconds
	AllowedClockSkew int64           `json:"allowed_clock_skew"` // seconds, nbf before iat
	CustomSigningKey bool            `json:"custom_signing_key"`
	SigningAlgorithm string          `json:"signing_algorithm"`
	// SigningKey is the custom key: the shared secret (HS*) or a PEM
	// private key (RS*, ES*). Kept sealed, never shown.
	SigningKey string `json:"-"`
	CreatedAt  int64  `json:"created_at"`
	UpdatedAt  int64  `json:"updated_at"`
}

// Store keeps templates; a custom signing key is given and kept sealed.
type Store interface {
	CreateJWTTemplate(ctx context.Context, t *Template, sealedKey []byte) error
	// JWTTemplate finds a template by ID or name (errs NotFound).
	JWTTemplate(ctx context.Context, idOrName string) (*Template, []byte, error)
	JWTTemplates(ctx context.Context) ([]*Template, error)
	UpdateJWTTemplate(ctx context.Context, t *Template, sealedKey []byte) error
	DeleteJWTTemplate(ctx context.Context, id string) error
}

// Params are the fields of create and update; nil is absent.
type Params struct {
	Name             *string         `json:"name"`
	Claims           json.RawMessage `json:"claims"`
	Lifetime         *int64          `json:"lifetime"`
	AllowedClockSkew *int64          `json:"allowed_clock_skew"`
	CustomSigningKey *bool           `json:"custom_signing_key"`
	SigningAlgorithm *string         `json:"signing_algorithm"`
	SigningKey       *string         `json:"signing_key"`
}

var algorithms = map[string]jose.SignatureAlgorithm{"RS256": jose.RS256, "RS384": jose.RS384, "RS512": jose.RS512,
	"ES256": jose.ES256, "ES384": jose.ES384, "ES512": jose.ES512, "HS256": jose.HS256, "HS384": jose.HS384, "HS512": jose.HS512}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9_\-. ]{1,100}$`)

// apply validates p onto t: a bad template is refused here, not at the
// first token.
func (p Params) apply(t *Template) error {
	if p.Name != nil {
		t.Name = strings.TrimSpace(*p.Name)
	}
	if !namePattern.MatchString(t.Name) {
		return errs.ParamFormat("name", "name must be 1 to 100 letters, digits, spaces or _ - .")
	}
	if p.Claims != nil {
		t.Claims = p.Claims
	}
	if _, err := Parse("claims", t.Claims); err != nil {
		return err
	}
	if p.Lifetime != nil {
		t.Lifetime = *p.Lifetime
	}
	if t.Lifetime < 30 || t.Lifetime > 315360000 {
		return errs.ParamFormat("lifetime", "lifetime must be between 30 and 315,360,000 seconds.")
	}
	if p.AllowedClockSkew != nil {
		t.AllowedClockSkew = *p.AllowedClockSkew
	}
	if t.AllowedClockSkew < 0 || t.AllowedClockSkew > 300 {
		return errs.ParamFormat("allowed_clock_skew", "allowed_clock_skew must be between 0 and 300 seconds.")
	}
	if p.CustomSigningKey != nil {
		t.CustomSigningKey = *p.CustomSigningKey
	}
	if p.SigningAlgorithm != nil {
		t.SigningAlgorithm = strings.ToUpper(*p.SigningAlgorithm)
	}
	if p.SigningKey != nil {
		t.SigningKey = *p.SigningKey
	}
	if !t.CustomSigningKey {
		t.SigningAlgorithm, t.SigningKey = "RS256", ""
		return nil
	}
	if _, ok := algorithms[t.SigningAlgorithm]; !ok {
		return errs.ParamValue("signing_algorithm", t.SigningAlgorithm)
	}
	if t.SigningKey == "" {
		return errs.ParamMissing("signing_key")
	}
	_, err := t.key()
	return err
}

// key reads the custom signing key for its algorithm.
func (t *Template) key() (any, error) {
	bad := errs.ParamFormat("signing_key", "signing_key must be a PEM private key for "+t.SigningAlgorithm+
		" (a shared secret of at least 32 bytes for HS*).")
	if strings.HasPrefix(t.SigningAlgorithm, "HS") {
		if len(t.SigningKey) < 32 {
			return nil, bad
		}
		return []byte(t.SigningKey), nil
	}
	block, _ := pem.Decode([]byte(t.SigningKey))
	if block == nil {
		return nil, bad
	}
	var k any
	var err error
	if k, err = x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
		if k, err = x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
			if k, err = x509.ParseECPrivateKey(block.Bytes); err != nil {
				return nil, bad
			}
		}
	}
	switch k.(type) {
	case *rsa.PrivateKey:
		if !strings.HasPrefix(t.SigningAlgorithm, "RS") {
			return nil, bad
		}
	case *ecdsa.PrivateKey:
		if !strings.HasPrefix(t.SigningAlgorithm, "ES") {
			return nil, bad
		}
	default:
		return nil, bad
	}
	return k, nil
}

// Service manages templates.
type Service struct {
	Store Store
	// Key seals custom signing keys at rest.
	Key []byte
	Now func() time.Time
}

func (s *Service) sealKey(t *Template) ([]byte, error) {
	if t.SigningKey == "" {
		return nil, nil
	}
	return seal.Seal(s.Key, []byte(t.SigningKey), []byte(t.ID))
}

// Create validates and stores a new template.
func (s *Service) Create(ctx context.Context, p Params) (*Template, error) {
	ms := s.Now().UnixMilli()
	t := &Template{ID: id.New(id.JWTTemplate), Lifetime: 60, AllowedClockSkew: 5, Claims: json.RawMessage(`{}`), CreatedAt: ms, UpdatedAt: ms}
	if p.Name == nil {
		return nil, errs.ParamMissing("name")
	}
	if p.Claims == nil {
		return nil, errs.ParamMissing("claims")
	}
	if err := p.apply(t); err != nil {
		return nil, err
	}
	sealed, err := s.sealKey(t)
	if err != nil {
		return nil, err
	}
	return t, s.Store.CreateJWTTemplate(ctx, t, sealed)
}

// Update changes a template.
func (s *Service) Update(ctx context.Context, idOrName string, p Params) (*Template, error) {
	t, err := s.Get(ctx, idOrName)
	if err != nil {
		return nil, err
	}
	if err := p.apply(t); err != nil {
		return nil, err
	}
	t.UpdatedAt = s.Now().UnixMilli()
	sealed, err := s.sealKey(t)
	if err != nil {
		return nil, err
	}
	return t, s.Store.UpdateJWTTemplate(ctx, t, sealed)
}

// Get returns a template, with its signing key.
func (s *Service) Get(ctx context.Context, idOrName string) (*Template, error) {
	t, sealed, err := s.Store.JWTTemplate(ctx, idOrName)
	if err != nil {
		return nil, err
	}
	if len(sealed) > 0 {
		plain, err := seal.Open(s.Key, sealed, []byte(t.ID))
		if err != nil {
			return nil, err
		}
		t.SigningKey = string(plain)
	}
	return t, nil
}

// List and Delete read and remove templates.
func (s *Service) List(ctx context.Context) ([]*Template, error) { return s.Store.JWTTemplates(ctx) }
func (s *Service) Delete(ctx context.Context, id string) error {
	return s.Store.DeleteJWTTemplate(ctx, id)
}

// UserValues is what shortcodes read of a user.
// OrgValues are the {{org.…}} shortcodes of a session's active
// organization: the organization and the member's role and permissions.
func OrgValues(id, name, slug, imageURL string, hasImage bool, publicMetadata json.RawMessage, role string, permissions []string) Values {
	var pub any = map[string]any{}
	if len(publicMetadata) > 0 {
		json.Unmarshal(publicMetadata, &pub)
	}
	perms := make([]any, len(permissions))
	for i, p := range permissions {
		perms[i] = p
	}
	return Values{"id": id, "name": name, "slug": slug, "image_url": imageURL, "has_image": hasImage,
		"public_metadata": pub, "role": role, "membership_permissions": perms}
}

func UserValues(u *user.User, imageURL string) Values {
	str := func(p *string) any {
		if p == nil {
			return nil
		}
		return *p
	}
	v := Values{"id": u.ID, "external_id": str(u.ExternalID), "first_name": str(u.FirstName), "last_name": str(u.LastName),
		"username": str(u.Username), "image_url": imageURL, "profile_image_url": imageURL, "has_image": false,
		"created_at": u.CreatedAt, "updated_at": u.UpdatedAt, "two_factor_enabled": u.TwoFactorEnabled(),
		"email_verified": false, "phone_number_verified": false}
	full := strings.TrimSpace(strings.TrimSpace(derefOr(u.FirstName)) + " " + strings.TrimSpace(derefOr(u.LastName)))
	v["full_name"] = nilIfEmpty(full)
	if u.LastSignInAt != nil {
		v["last_sign_in_at"] = *u.LastSignInAt
	}
	for _, idn := range u.Identifiers {
		switch {
		case u.PrimaryEmailAddressID != nil && idn.ID == *u.PrimaryEmailAddressID:
			v["primary_email_address"], v["email_verified"] = idn.Value, idn.Verified()
		case u.PrimaryPhoneNumberID != nil && idn.ID == *u.PrimaryPhoneNumberID:
			v["primary_phone_number"], v["phone_number_verified"] = idn.Value, idn.Verified()
		case u.PrimaryWeb3WalletID != nil && idn.ID == *u.PrimaryWeb3WalletID:
			v["primary_web3_wallet"] = idn.Value
		}
	}
	for k, raw := range map[string]json.RawMessage{"public_metadata": u.PublicMetadata, "unsafe_metadata": u.UnsafeMetadata} {
		var m any = map[string]any{}
		if len(raw) > 0 {
			json.Unmarshal(raw, &m)
		}
		v[k] = m
	}
	return v
}

func derefOr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
