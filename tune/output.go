package tune

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Heuristic is the explanation printed above the proposals.
const Heuristic = `How these were chosen: a false positive recurs on one field of one route
across many ordinary clients at low to middling confidence; an attack is
sprayed over many fields and classes by few clients, or is near certain.
A group of findings (payload: route, field and class; other detectors:
detector and route) is proposed when enforce mode would have stopped some
of its requests, at least %d distinct ordinary clients sent it (a client
with findings in %d or more groups is spraying and does not count), and its
mean confidence is below %.2f. Review each entry before pasting it: an
exclusion stops those classes being reported for that field, attacks
included.`

// WriteYAML writes r as YAML to paste into the config: proposals with
// comments giving counts, distinct clients and a redacted example, under
// a header that explains the heuristic and reports what enforce mode
// would have stopped. source names where the events came from.
func (r *Result) WriteYAML(w io.Writer, source string) error {
	var head strings.Builder
	fmt.Fprintf(&head, "warden tune: %d decisions from %s", r.Events, source)
	if r.Events > 0 {
		fmt.Fprintf(&head, ", %s to %s", r.From.UTC().Format(time.RFC3339), r.To.UTC().Format(time.RFC3339))
	}
	head.WriteString("\n\n")
	fmt.Fprintf(&head, Heuristic, r.Options.MinClients, r.Options.SprayGroups, r.Options.MaxConfidence)
	head.WriteString("\n\n")
	r.writeStops(&head)
	for i := range r.Exclusions {
		if slices.Contains(r.Exclusions[i].Locs, "json") {
			head.WriteString("\nA JSON finding names its key only: where the key is nested, write its\nfull path in fields (\"comments[].text\").\n")
			break
		}
	}
	if r.Dropped > 0 {
		fmt.Fprintf(&head, "\n%d findings fell outside the %d groups kept and were not considered.\n", r.Dropped, r.Options.MaxGroups)
	}
	if r.ClientsCapped {
		fmt.Fprintf(&head, "\nMore than %d clients: those past the bound count as spraying.\n", r.Options.MaxClients)
	}

	root := &yaml.Node{Kind: yaml.MappingNode}
	if len(r.Exclusions) > 0 {
		list := &yaml.Node{Kind: yaml.SequenceNode}
		for i := range r.Exclusions {
			p := &r.Exclusions[i]
			entry := mapping(
				scalar("route"), scalar(p.Route),
				scalar("fields"), flow(p.Field),
				scalar("classes"), flow(p.Classes...),
			)
			entry.HeadComment = p.comment()
			list.Content = append(list.Content, entry)
		}
		root.Content = append(root.Content, scalar("payload"), mapping(scalar("exclusions"), list))
	}
	if len(r.RouteModes) > 0 {
		dets := &yaml.Node{Kind: yaml.MappingNode}
		byDet := map[string]*yaml.Node{}
		var names []string
		for i := range r.RouteModes {
			p := &r.RouteModes[i]
			routes, ok := byDet[p.Detector]
			if !ok {
				routes = &yaml.Node{Kind: yaml.MappingNode}
				byDet[p.Detector] = routes
				names = append(names, p.Detector)
			}
			k := scalar(p.Route)
			k.HeadComment = p.comment()
			routes.Content = append(routes.Content, k, scalar("monitor"))
		}
		slices.Sort(names)
		for _, n := range names {
			dets.Content = append(dets.Content, scalar(n), mapping(scalar("routes"), byDet[n]))
		}
		root.Content = append(root.Content, scalar("detectors"), dets)
	}
	if len(root.Content) == 0 {
		head.WriteString("\nNo proposals: no group of findings looked like a false positive.\n")
		_, err := io.WriteString(w, commentLines(head.String()))
		return err
	}
	doc := &yaml.Node{Kind: yaml.DocumentNode, HeadComment: strings.TrimRight(head.String(), "\n"), Content: []*yaml.Node{root}}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("tune: write yaml: %w", err)
	}
	return enc.Close()
}

// writeStops writes the report of what enforce mode would have stopped.
func (r *Result) writeStops(b *strings.Builder) {
	if r.Stopped == 0 {
		b.WriteString("Enforce mode would have stopped none of these requests.\n")
		return
	}
	fmt.Fprintf(b, "Enforce mode would have stopped %d of these requests:\n", r.Stopped)
	fmt.Fprintf(b, "  %7s  %-9s  %-40s  %-10s  %s\n", "count", "action", "route", "detector", "violation")
	rows := r.StopRows
	if len(rows) > r.Options.MaxReportRows {
		rows = rows[:r.Options.MaxReportRows]
	}
	for _, s := range rows {
		fmt.Fprintf(b, "  %7d  %-9s  %-40s  %-10s  %s\n", s.Count, s.Action, cmpOr(s.Route, "(no route)"), cmpOr(s.Detector, "-"), cmpOr(s.Violation, "-"))
	}
	if n := len(r.StopRows) - len(rows); n > 0 {
		fmt.Fprintf(b, "  (%d more rows)\n", n)
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// comment is the evidence printed above a proposal.
func (p *Proposal) comment() string {
	var b strings.Builder
	clients := fmt.Sprint(p.Clients)
	if p.More {
		clients += "+"
	}
	fmt.Fprintf(&b, "%d findings (%d in requests enforce mode would stop) from %s distinct ordinary clients;\n", p.Count, p.Stops, clients)
	fmt.Fprintf(&b, "confidence %.2f–%.2f, mean %.2f", p.ConfMin, p.ConfMax, p.ConfMean)
	if p.Detector != "" && len(p.Classes) > 0 {
		fmt.Fprintf(&b, "; violation %s", p.Classes[0])
	}
	if len(p.Locs) > 0 {
		fmt.Fprintf(&b, "; found in %s", strings.Join(p.Locs, ", "))
	}
	if p.Example != "" {
		fmt.Fprintf(&b, "\nexample: %q", p.Example)
	}
	if p.FromPath {
		b.WriteString("\nno route pattern matched: this one is the request's path; widen it if the path holds ids")
	}
	return b.String()
}

func scalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }

func flow(vs ...string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, v := range vs {
		n.Content = append(n.Content, scalar(v))
	}
	return n
}

// mapping is a block mapping of alternating keys and values.
func mapping(kv ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Content: kv}
}

// commentLines turns text into YAML comment lines.
func commentLines(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if l == "" {
			b.WriteString("#\n")
			continue
		}
		b.WriteString("# " + l + "\n")
	}
	return b.String()
}
