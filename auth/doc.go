// Package auth decides who is signed in and what they may do: argon2id passwords, sessions,
// API tokens and volunteers' personal codes (Service), the sign-in back-off, and Authorize —
// the one function that says whether a user may do an action at a place of the network.
// Scope is a site code and its subtree (InScope over a store.Sites.SiteChain).
package auth
