package user

// PlaceholderImage is the generated image of a user or an organization
// without one of its own. The path says avatar_placeholder because that
// is how Clerk's components tell a default image from an uploaded one
// (they offer to remove only the latter).
func PlaceholderImage(publicURL, id string) string {
	return publicURL + "/avatars/avatar_placeholder/" + id + ".svg"
}
