package contract

import "strconv"

// Fields renders an event as the contract's CSV fields, the inverse of Parse.
func (e Event) Fields() []string {
	return []string{
		e.ID,
		e.Time.Format("2006-01-02 15:04:05.999999"),
		e.Type,
		strconv.FormatInt(int64(e.ProductID), 10),
		e.Price.String(),
		strconv.FormatInt(int64(e.UserID), 10),
		e.SessionID,
	}
}
