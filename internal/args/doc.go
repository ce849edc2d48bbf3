// Package args splits a request's arguments once for every detector that
// reads them: the query string and an application/x-www-form-urlencoded
// body into name=value pairs, Cookie header values into cookies, and
// media types (Content-Type, a multipart part's type) into type, subtype
// and parameters. It decodes nothing: a value stays as sent, and each
// reader decodes it as its job needs (protocol looks at the encoding
// itself, payload at what it decodes to).
//
// abuse.Request points to a Set (the pipeline keeps one with each pooled
// request), so that the second detector to read a request's arguments
// gets the first one's split; protocol and payload import the package
// for Pair, Iter and MediaType. Users of Warden do not.
package args
