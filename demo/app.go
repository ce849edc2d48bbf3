package demo

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/warden-dev/warden/internal/clip"
)

// TokenKey is the HS256 key the demo app signs its login tokens with. It is
// public on purpose: a Warden in front of the demo can be configured to
// verify the tokens and take the user id from their "sub" claim.
const TokenKey = "warden-demo-token-key-not-a-secret"

// Limits of the demo app. Bodies above MaxBodyBytes answer 413.
const (
	MaxBodyBytes    = 1 << 20
	maxRegistered   = 10_000 // registrations kept; later ones answer 503
	maxAskText      = 32 << 10
	maxPredictRows  = 64
	maxPredictCols  = 1024
	maxChatMessages = 256
	tokenLifetime   = 15 * time.Minute
	numUsers        = 500 // GET /api/users/{id} knows ids 1..numUsers
	firstRegistered = 1001
)

// Account is a demo user who can log in. The same people exist as records
// 1..len(Accounts) of GET /api/users/{id}.
type Account struct {
	ID       int
	Name     string
	Email    string
	Password string
}

// accounts are the known demo users. Immutable.
var accounts = [...]Account{
	{1, "Alice Martin", "alice@example.com", "alice-demo-pass"},
	{2, "Bob Chen", "bob@example.com", "bob-demo-pass"},
	{3, "Carol Diaz", "carol@example.com", "carol-demo-pass"},
	{4, "Dmitri Ivanov", "dmitri@example.com", "dmitri-demo-pass"},
	{5, "Emeka Obi", "emeka@example.com", "emeka-demo-pass"},
	{6, "Fatima Zahra", "fatima@example.com", "fatima-demo-pass"},
	{7, "Grace Kim", "grace@example.com", "grace-demo-pass"},
	{8, "Hiro Tanaka", "hiro@example.com", "hiro-demo-pass"},
}

// Accounts returns the demo users that can log in, with their passwords.
func Accounts() []Account { return append([]Account(nil), accounts[:]...) }

// askEndpoints are the LibreChat endpoint names POST /api/ask/{endpoint} accepts.
var askEndpoints = map[string]string{
	"openAI":      "gpt-4o-mini",
	"azureOpenAI": "gpt-4o",
	"anthropic":   "claude-3-5-sonnet",
	"google":      "gemini-1.5-pro",
	"bedrock":     "llama-3-70b",
	"custom":      "mistral-large",
	"agents":      "gpt-4o-mini",
}

var firstNames = [...]string{"Ana", "Ben", "Chloe", "David", "Elena", "Felix", "Gita", "Hugo", "Ines", "Jonas", "Kira", "Liam", "Maya", "Noah", "Olga", "Pablo", "Qin", "Rosa", "Sami", "Tara"}

var lastNames = [...]string{"Novak", "Silva", "Berg", "Moreau", "Okafor", "Rossi", "Sato", "Weber", "Khan", "Lopez", "Meyer", "Nagy", "Park", "Quinn", "Reyes"}

var cannedReplies = [...]string{
	"Sure. Here is a short summary of what you asked, in three points.",
	"That is a good question. The answer depends on your setup, but usually the default works.",
	"I can help with that. First, check the configuration; then restart the service.",
	"Here is an example in Go that does what you describe.",
	"The main difference is that one is synchronous and the other is not.",
}

// app is the demo upstream. Its state lives here, never in globals.
type app struct {
	key  []byte
	seq  atomic.Uint64 // ids for messages, conversations and completions
	mu   sync.Mutex
	regs map[string]registration // lowercased email → registration; at most maxRegistered
}

type registration struct {
	id   int
	name string
	hash [sha256.Size]byte
}

// App returns the demo upstream: a LibreChat-style API. Routes:
//
//	POST /api/auth/login        {"email","password"} → 200 {"token","user"}; 401 on bad credentials
//	POST /api/auth/register     {"name","email","password"} → 201 {"user"}; 409 if taken; 400 if invalid
//	POST /api/ask/{endpoint}    {"text",…} with a Bearer token → 200 fake answer with an OpenAI-style "usage"
//	POST /v1/chat/completions   OpenAI chat-completions request with a Bearer token → chat.completion with "usage"
//	POST /api/models/predict    {"inputs":[[floats]]} → {"model","predictions":[{"label","score"}]}
//	GET  /api/users/{id}        ids 1..500 → 200 user record; others 404
//	GET  /, /about, /pricing, /docs, /login, /static/app.js, /static/style.css, /favicon.ico, /robots.txt
//
// Errors of the app itself are JSON {"message": ...} (OpenAI-shaped
// {"error":{...}} on /v1/chat/completions), never a string "error" field,
// so a client can tell them from Warden's answers. Bodies above 1 MiB
// answer 413. The handler is safe for concurrent use.
func App() http.Handler {
	a := &app{key: []byte(TokenKey), regs: make(map[string]registration)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/auth/login", a.login)
	mux.HandleFunc("POST /api/auth/register", a.register)
	mux.HandleFunc("POST /api/ask/{endpoint}", a.ask)
	mux.HandleFunc("POST /v1/chat/completions", a.chatCompletions)
	mux.HandleFunc("POST /api/models/predict", a.predict)
	mux.HandleFunc("GET /api/users/{id}", a.user)
	mux.HandleFunc("GET /{$}", page("Home", "Welcome to the Warden demo app. Log in and ask the assistant anything."))
	mux.HandleFunc("GET /about", page("About", "A sample LibreChat-style API used to show what Warden stops."))
	mux.HandleFunc("GET /pricing", page("Pricing", "Free: 40 messages a day. Pro: as many as you like."))
	mux.HandleFunc("GET /docs", page("Docs", "POST /api/ask/{endpoint} with {\"text\": \"...\"} and a Bearer token."))
	mux.HandleFunc("GET /login", page("Log in", "Use the form or POST /api/auth/login."))
	mux.HandleFunc("GET /static/{file}", static)
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "image/x-icon")
		w.Header().Set("Cache-Control", "max-age=86400")
		_, _ = w.Write([]byte{0, 0, 1, 0, 0, 0})
	})
	mux.HandleFunc("GET /robots.txt", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("User-agent: *\nDisallow: /api/\n"))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusNotFound, message("Not found"))
	})
	return mux
}

type loginBody struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type userJSON struct {
	ID        int    `json:"id"`
	Name      string `json:"name"`
	Email     string `json:"email"`
	CreatedAt string `json:"createdAt,omitempty"`
}

func (a *app) login(w http.ResponseWriter, r *http.Request) {
	var body loginBody
	if !decode(w, r, &body) {
		return
	}
	if body.Email == "" || body.Password == "" {
		writeJSON(w, http.StatusBadRequest, message("Email and password are required"))
		return
	}
	u, ok := a.authenticate(body.Email, body.Password)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, message("Email or password is incorrect"))
		return
	}
	tok, err := a.token(u, time.Now())
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, message("Could not issue a token"))
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Token string   `json:"token"`
		User  userJSON `json:"user"`
	}{tok, u})
}

// authenticate checks a known demo account first, then registrations.
func (a *app) authenticate(email, password string) (userJSON, bool) {
	email = strings.ToLower(strings.TrimSpace(email))
	for _, acc := range accounts {
		if acc.Email == email {
			if subtle.ConstantTimeCompare([]byte(acc.Password), []byte(password)) == 1 {
				return userJSON{ID: acc.ID, Name: acc.Name, Email: acc.Email}, true
			}
			return userJSON{}, false
		}
	}
	a.mu.Lock()
	reg, ok := a.regs[email]
	a.mu.Unlock()
	if !ok {
		return userJSON{}, false
	}
	h := sha256.Sum256([]byte(password))
	if subtle.ConstantTimeCompare(h[:], reg.hash[:]) != 1 {
		return userJSON{}, false
	}
	return userJSON{ID: reg.id, Name: reg.name, Email: email}, true
}

// token issues a LibreChat-like HS256 JWT: "sub" and "id" hold the user id.
func (a *app) token(u userJSON, now time.Time) (string, error) {
	claims := jwt.MapClaims{
		"sub":   strconv.Itoa(u.ID),
		"id":    strconv.Itoa(u.ID),
		"email": u.Email,
		"iat":   now.Unix(),
		"exp":   now.Add(tokenLifetime).Unix(),
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(a.key)
	if err != nil {
		return "", fmt.Errorf("sign demo token: %w", err)
	}
	return s, nil
}

// userID returns the user id of a valid Bearer token, or "" when there is none.
func (a *app) userID(r *http.Request) string {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || raw == "" || len(raw) > 4096 {
		return ""
	}
	tok, err := jwt.Parse(raw, func(*jwt.Token) (any, error) { return a.key, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired())
	if err != nil || !tok.Valid {
		return ""
	}
	sub, err := tok.Claims.GetSubject()
	if err != nil {
		return ""
	}
	return sub
}

type registerBody struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (a *app) register(w http.ResponseWriter, r *http.Request) {
	var body registerBody
	if !decode(w, r, &body) {
		return
	}
	email := strings.ToLower(strings.TrimSpace(body.Email))
	switch {
	case body.Name == "" || len(body.Name) > 80:
		writeJSON(w, http.StatusBadRequest, message("Name must be 1 to 80 characters"))
		return
	case len(email) < 3 || len(email) > 254 || !strings.Contains(email, "@"):
		writeJSON(w, http.StatusBadRequest, message("A valid email is required"))
		return
	case len(body.Password) < 8 || len(body.Password) > 128:
		writeJSON(w, http.StatusBadRequest, message("Password must be 8 to 128 characters"))
		return
	}
	for _, acc := range accounts {
		if acc.Email == email {
			writeJSON(w, http.StatusConflict, message("Email already registered"))
			return
		}
	}
	a.mu.Lock()
	_, taken := a.regs[email]
	full := len(a.regs) >= maxRegistered
	id := firstRegistered + len(a.regs)
	if !taken && !full {
		a.regs[email] = registration{id: id, name: body.Name, hash: sha256.Sum256([]byte(body.Password))}
	}
	a.mu.Unlock()
	switch {
	case taken:
		writeJSON(w, http.StatusConflict, message("Email already registered"))
	case full:
		writeJSON(w, http.StatusServiceUnavailable, message("Registration is closed"))
	default:
		writeJSON(w, http.StatusCreated, struct {
			User userJSON `json:"user"`
		}{userJSON{ID: id, Name: body.Name, Email: email}})
	}
}

// usage is the OpenAI-style token accounting.
type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

func newUsage(prompt, completion string) usage {
	p, c := tokens(prompt), tokens(completion)
	return usage{p, c, p + c}
}

// tokens estimates a token count the usual way: about four bytes a token.
func tokens(s string) int { return (len(s) + 3) / 4 }

type askBody struct {
	Text            string `json:"text"`
	Model           string `json:"model"`
	ConversationID  string `json:"conversationId"`
	ParentMessageID string `json:"parentMessageId"`
}

func (a *app) ask(w http.ResponseWriter, r *http.Request) {
	endpoint := r.PathValue("endpoint")
	defModel, ok := askEndpoints[endpoint]
	if !ok {
		writeJSON(w, http.StatusNotFound, message("Unknown endpoint"))
		return
	}
	user := a.userID(r)
	if user == "" {
		writeJSON(w, http.StatusUnauthorized, message("Unauthorized"))
		return
	}
	var body askBody
	if !decode(w, r, &body) {
		return
	}
	switch {
	case strings.TrimSpace(body.Text) == "":
		writeJSON(w, http.StatusBadRequest, message("Text is required"))
		return
	case len(body.Text) > maxAskText:
		writeJSON(w, http.StatusBadRequest, message("Text is too long"))
		return
	}
	model := body.Model
	if model == "" || len(model) > 64 {
		model = defModel
	}
	conv := body.ConversationID
	if conv == "" || len(conv) > 64 {
		conv = fmt.Sprintf("conv-%08d", a.seq.Add(1))
	}
	reply := replyTo(body.Text)
	writeJSON(w, http.StatusOK, struct {
		ConversationID  string `json:"conversationId"`
		MessageID       string `json:"messageId"`
		ParentMessageID string `json:"parentMessageId,omitempty"`
		Sender          string `json:"sender"`
		Endpoint        string `json:"endpoint"`
		Model           string `json:"model"`
		Text            string `json:"text"`
		Usage           usage  `json:"usage"`
	}{conv, fmt.Sprintf("msg-%08d", a.seq.Add(1)), clip.Prefix(body.ParentMessageID, 64), "Assistant", endpoint, model, reply, newUsage(body.Text, reply)})
}

// replyTo picks a canned answer from the text, deterministically.
func replyTo(text string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(text))
	return cannedReplies[h.Sum32()%uint32(len(cannedReplies))]
}

type chatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

type chatRequest struct {
	Model     string        `json:"model"`
	Messages  []chatMessage `json:"messages"`
	MaxTokens int           `json:"max_tokens"`
}

func (a *app) chatCompletions(w http.ResponseWriter, r *http.Request) {
	if a.userID(r) == "" {
		writeJSON(w, http.StatusUnauthorized, openAIError("invalid_api_key", "Incorrect API key provided."))
		return
	}
	var req chatRequest
	if !decode(w, r, &req) {
		return
	}
	if len(req.Messages) == 0 || len(req.Messages) > maxChatMessages {
		writeJSON(w, http.StatusBadRequest, openAIError("invalid_request_error", "messages must hold 1 to 256 items"))
		return
	}
	var prompt strings.Builder
	for i, m := range req.Messages {
		text, ok := contentText(m.Content)
		if !ok || m.Role == "" {
			writeJSON(w, http.StatusBadRequest, openAIError("invalid_request_error", fmt.Sprintf("messages[%d] is invalid", i)))
			return
		}
		prompt.WriteString(text)
	}
	model := req.Model
	if model == "" || len(model) > 64 {
		model = "gpt-4o-mini"
	}
	reply := replyTo(prompt.String())
	type choice struct {
		Index        int         `json:"index"`
		Message      chatMessage `json:"message"`
		FinishReason string      `json:"finish_reason"`
	}
	content, _ := json.Marshal(reply)
	writeJSON(w, http.StatusOK, struct {
		ID      string   `json:"id"`
		Object  string   `json:"object"`
		Created int64    `json:"created"`
		Model   string   `json:"model"`
		Choices []choice `json:"choices"`
		Usage   usage    `json:"usage"`
	}{
		ID:      fmt.Sprintf("chatcmpl-demo%08d", a.seq.Add(1)),
		Object:  "chat.completion",
		Created: time.Now().Unix(),
		Model:   model,
		Choices: []choice{{Message: chatMessage{Role: "assistant", Content: content}, FinishReason: "stop"}},
		Usage:   newUsage(prompt.String(), reply),
	})
}

// contentText accepts OpenAI message content: a string or an array of parts
// of which the "text" ones are kept.
func contentText(raw json.RawMessage) (string, bool) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, true
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", false
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type == "text" {
			b.WriteString(p.Text)
		}
	}
	return b.String(), true
}

func openAIError(typ, msg string) any {
	type detail struct {
		Message string `json:"message"`
		Type    string `json:"type"`
	}
	return struct {
		Error detail `json:"error"`
	}{detail{msg, typ}}
}

type predictBody struct {
	Inputs [][]float64 `json:"inputs"`
}

type prediction struct {
	Label string  `json:"label"`
	Score float64 `json:"score"`
}

func (a *app) predict(w http.ResponseWriter, r *http.Request) {
	var body predictBody
	if !decode(w, r, &body) {
		return
	}
	if len(body.Inputs) == 0 || len(body.Inputs) > maxPredictRows {
		writeJSON(w, http.StatusBadRequest, message("inputs must hold 1 to 64 rows"))
		return
	}
	preds := make([]prediction, len(body.Inputs))
	for i, row := range body.Inputs {
		if len(row) == 0 || len(row) > maxPredictCols {
			writeJSON(w, http.StatusBadRequest, message(fmt.Sprintf("inputs[%d] must hold 1 to 1024 values", i)))
			return
		}
		var sum float64
		for _, v := range row {
			sum += v
		}
		p := 1 / (1 + math.Exp(-sum/float64(len(row))))
		label := "negative"
		if p >= 0.5 {
			label = "positive"
		}
		preds[i] = prediction{Label: label, Score: math.Round(p*1e4) / 1e4}
	}
	writeJSON(w, http.StatusOK, struct {
		Model       string       `json:"model"`
		Predictions []prediction `json:"predictions"`
	}{"demo-classifier-v1", preds})
}

func (a *app) user(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || id < 1 || id > numUsers {
		writeJSON(w, http.StatusNotFound, message("User not found"))
		return
	}
	writeJSON(w, http.StatusOK, userRecord(id))
}

// userRecord is the record of user id, 1..numUsers; demo accounts come first.
func userRecord(id int) userJSON {
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(id) * 37 * time.Hour).Format(time.RFC3339)
	if id <= len(accounts) {
		acc := accounts[id-1]
		return userJSON{ID: id, Name: acc.Name, Email: acc.Email, CreatedAt: created}
	}
	first := firstNames[id%len(firstNames)]
	last := lastNames[(id/len(firstNames))%len(lastNames)]
	email := fmt.Sprintf("%s.%s%d@example.com", strings.ToLower(first), strings.ToLower(last), id)
	return userJSON{ID: id, Name: first + " " + last, Email: email, CreatedAt: created}
}

func page(title, text string) http.HandlerFunc {
	body := []byte(`<!doctype html><html><head><meta charset="utf-8"><title>` + title +
		` · Warden demo</title><link rel="stylesheet" href="/static/style.css"></head><body>` +
		`<nav><a href="/">Home</a> <a href="/about">About</a> <a href="/pricing">Pricing</a> <a href="/docs">Docs</a> <a href="/login">Log in</a></nav>` +
		`<h1>` + title + `</h1><p>` + text + `</p><script src="/static/app.js"></script></body></html>`)
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(body)
	}
}

func static(w http.ResponseWriter, r *http.Request) {
	switch r.PathValue("file") {
	case "app.js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		_, _ = w.Write([]byte("document.documentElement.dataset.ready = '1';\n"))
	case "style.css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		_, _ = w.Write([]byte("body{font-family:sans-serif;max-width:40em;margin:auto}\n"))
	default:
		writeJSON(w, http.StatusNotFound, message("Not found"))
	}
}

type messageJSON struct {
	Message string `json:"message"`
}

func message(s string) messageJSON { return messageJSON{s} }

// decode reads a JSON body of at most MaxBodyBytes into v; on failure it
// answers 413 or 400 and returns false.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			writeJSON(w, http.StatusRequestEntityTooLarge, message("Body too large"))
			return false
		}
		writeJSON(w, http.StatusBadRequest, message("Body must be valid JSON"))
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
