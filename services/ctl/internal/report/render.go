package report

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"
)

// Render prints the report as aligned tables.
func Render(w io.Writer, rep *Report) error {
	r, s := rep.Range, rep.Summary
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "Report for %s to %s (UTC, end excluded)\n\n", stamp(r.From), stamp(r.To))
	fmt.Fprintln(tw, "events\tviews\tpurchases\trevenue\tactive users\tsessions\tfirst event\tlast event\t")
	fmt.Fprintf(tw, "%d\t%d\t%d\t%s\t%d\t%d\t%s\t%s\t\n", s.Events, s.Views, s.Purchases, s.Revenue, s.ActiveUsers, s.Sessions,
		optTime(s.First), optTime(s.Last))
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.Bucket != "day" {
		periodTable(w, "Per "+r.Bucket, rep.Periods)
	}
	periodTable(w, "Per day", rep.Days)

	fmt.Fprintln(w, "\nView-to-purchase conversion per day")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "day\tviews\tpurchases\tpurchases/view\tviewing sessions\tbuying sessions\tsession conversion\t")
	for _, c := range rep.Conversion {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%d\t%s\t\n", c.Start.Format(time.DateOnly), c.Views, c.Purchases, ratio(c.PurchasesPerView),
			c.ViewingSessions, c.BuyingSessions, percent(c.SessionConversion))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintf(w, "\nTop %d products by revenue\n", r.Top)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "product\tviews\tpurchases\trevenue\tpurchases/view\t")
	for _, p := range rep.Products {
		fmt.Fprintf(tw, "%d\t%d\t%d\t%s\t%s\t\n", p.ID, p.Views, p.Purchases, p.Revenue, ratio(p.PurchasesPerView))
	}
	return tw.Flush()
}

func periodTable(w io.Writer, title string, periods []Period) {
	fmt.Fprintf(w, "\n%s\n", title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "period\tevents\tactive users\tsessions\tpurchases\trevenue\t")
	for _, p := range periods {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t\n", stamp(p.Start), p.Events, p.ActiveUsers, p.Sessions, p.Purchases, p.Revenue)
	}
	_ = tw.Flush() // the caller's next Flush reports a broken writer
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }

func optTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

func ratio(f *float64) string {
	if f == nil {
		return "-"
	}
	return strconv.FormatFloat(*f, 'f', 4, 64)
}

func percent(f *float64) string {
	if f == nil {
		return "-"
	}
	return strconv.FormatFloat(*f*100, 'f', 2, 64) + "%"
}
