package web

import (
	"html/template"
	"time"

	"civmap"
	"civmap/geo/nav"
)

// MapPage is the data of map.html.
type MapPage struct {
	Title       string
	HasMapLibre bool
	Config      MapConfig
}

// MapConfig is what map.js reads from the page (as JSON).
type MapConfig struct {
	Center               [2]float64 `json:"center"` // WGS-84 lon, lat in degrees
	Zoom                 float64    `json:"zoom"`
	Bounds               [4]float64 `json:"bounds"`    // minLon, minLat, maxLon, maxLat
	Tiles                string     `json:"tiles"`     // composite tile URL template with {z}/{x}/{y}
	BaseLayer            string     `json:"baseLayer"` // optional raster base-layer URL template
	BaseLayerAttribution string     `json:"baseLayerAttribution"`
	Events               string     `json:"events"` // server-sent events URL
}

// SitePage is the data of site.html.
type SitePage struct {
	Site        civmap.Site
	LevelTitle  string
	Chain       []civmap.Site // center … parent, top first
	Children    []civmap.Site
	Venues      []civmap.Venue
	Current     []civmap.Activity
	Upcoming    []civmap.Activity
	MapURL      string
	Placeholder bool
	Notice      string
	Categories  []civmap.NeedCategory
	Submitted   bool   // a need was just submitted
	FormError   string // why the last need form was rejected
	FormField   string
	// FormCategory and FormDescription refill the form after a rejected submission.
	FormCategory    civmap.NeedCategory
	FormDescription string
	FormPhone       string
	Now             time.Time
	Nav             nav.Links // navigation deep links (geo/nav.ForSite)
	PosterURL       string    // the site's printable SVG poster
	Viewer          *Viewer   // the signed-in user, nil for anonymous visitors
	// Staff is set for staff whose scope holds the site: the page then offers publishing
	// activities and moderation, and lists the site's needs in full.
	Staff        bool
	Published    bool         // an activity was just published
	ActivityForm ActivityForm // refills the publishing form after an error
	ContentAreas []civmap.ContentArea
	Platforms    []civmap.Platform
	Hidden       []civmap.Activity // activities hidden by moderation (staff)
	Needs        []civmap.Need     // the site's needs, newest first (staff)
	Moderated    string            // what the last moderation did
}

// ActivityForm is the site page's "发布活动" form.
type ActivityForm struct {
	Title, ContentArea, Platform, Date, StartTime, EndTime, Error, Field string
}

// NotFoundPage is the data of notfound.html.
type NotFoundPage struct {
	What string // what was not found, in Chinese
}

// Viewer is the signed-in user as pages name them; nil on pages for anonymous visitors.
type Viewer struct {
	Name      string
	Login     string
	RoleTitle string
	Staff     bool // admin, station or post: may publish and moderate in scope
	Manager   bool // may manage users or issue personal codes (/users)
}

// LoginPage is the data of login.html.
type LoginPage struct {
	Next   string // where to go after signing in (a local path)
	Login  string // refills the form after a failure
	Error  string
	Out    bool // just signed out
	Viewer *Viewer
}

// SessionRow is one signed-in browser on me.html.
type SessionRow struct {
	civmap.Session
	KindTitle string
	Current   bool
}

// MePage is the data of me.html, a signed-in user's account page.
type MePage struct {
	Viewer    *Viewer
	User      civmap.User
	RoleTitle string
	ScopeName string // the scope site's name, or "全市" for the whole network
	Sessions  []SessionRow
	Notice    string
	Desk      *VolunteerDesk // a volunteer's orders (nil for others)
	Console   bool           // the user dispatches: link the console
}

// UserRow is one user on users.html.
type UserRow struct {
	civmap.User
	RoleTitle string
	ScopeName string
	CanCode   bool // the viewer may issue this user a personal code
}

// UsersPage is the data of users.html: the users in the viewer's scope and a form to add one.
type UsersPage struct {
	Viewer *Viewer
	Users  []UserRow
	Roles  []RoleOption // roles the viewer may create
	Scope  string       // default scope for new users
	Error  string
	// Created is set right after a user was added with a generated password, shown once.
	Created         *civmap.User
	CreatedPassword string
	Form            struct{ Login, Name, Role, Scope string }
}

// RoleOption is a role in a form's select.
type RoleOption struct {
	Role  civmap.Role
	Title string
}

// CodePage is the data of code.html: a personal code's landing page (/p/{code}) or, right
// after issuing, the code shown once to staff.
type CodePage struct {
	Viewer  *Viewer
	Name    string // the volunteer's name
	Site    string // the volunteer's site name
	Code    string // the code (only in the form that signs in or prints the card)
	Error   string
	Issued  bool         // shown to staff right after issuing
	URL     string       // the sign-in URL the QR code carries (Issued)
	PNG     template.URL // data: URI of the QR code (Issued)
	UserID  int64
	Expires string
}

// NoticePage is the data of notice.html: a title, a message and a way on.
type NoticePage struct {
	Title, Message string
	Link, LinkText string // default: the map
}

// ReceiptPage is the data of receipt.html: a resident's need as they follow it with their
// receipt (/n/{receipt}).
type ReceiptPage struct {
	Need        civmap.Need
	SiteName    string
	Receipt     string // in groups, "ABCD-EFGH-JKMN-PQRS"
	Code        string // canonical, for URLs
	StatusTitle string
	Steps       []ReceiptStep
	New         bool // just submitted: ask them to keep the receipt
	CanCancel   bool
	CanRate     bool
	Error       string
}

// ReceiptStep is one step of a need's history as the resident reads it.
type ReceiptStep struct {
	At    time.Time
	Title string
	Team  string // the team serving it (never a volunteer's name)
	Note  string
}

// ConsolePage is the data of console.html, the dispatcher console.
type ConsolePage struct {
	Viewer      *Viewer
	Scope       string
	ScopeName   string
	Status      string // filter
	Category    string // filter
	Statuses    []civmap.NeedStatus
	Categories  []civmap.NeedCategory
	Skills      []civmap.Skill
	Teams       []civmap.Team // teams the console may dispatch to
	Needs       []ConsoleNeed
	CanOrder    bool // the user's role makes orders (制单)
	Notice      string
	Error       string
	Today       string      // YYYY-MM-DD, CST: the order form's default date
	MapData     template.JS // JSON: needs and their candidates for the map
	HasMapLibre bool
}

// ConsoleNeed is one need on the console with what the dispatcher may do next.
type ConsoleNeed struct {
	civmap.Need
	SiteName, QueueName string
	Age                 string
	Holders             []Holder
	Candidates          []Candidate
	CanOrder            bool
	CanReject           bool
	CanDispatch         bool
	CanCancel           bool
}

// Holder is a volunteer's part in an order as the console shows it.
type Holder struct {
	civmap.Assignment
	Name string
}

// Candidate is a suitable volunteer for an order, with the great-circle distance in metres.
type Candidate struct {
	Volunteer civmap.Volunteer
	DistanceM float64
}

// VolunteerDesk is the volunteer's part of me.html: their orders and the orders they can take.
type VolunteerDesk struct {
	Volunteer  civmap.Volunteer
	Mine       []OrderCard // orders they hold a place in, or were offered
	Open       []OrderCard // orders they can grab, nearest first
	Done       []OrderCard // recently finished
	TotalHours float64
	Notice     string
	Error      string
}

// OrderCard is an order as a volunteer sees it.
type OrderCard struct {
	Need      civmap.Need
	SiteName  string
	State     civmap.AssignmentState // "" when only offered or open
	Offered   bool
	DistanceM float64
	Hours     float64
}
