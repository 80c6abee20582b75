package demo

import "roster"

// Living is what the demo adds to a user so that their profile reads like a
// person's: a points history, staff notes and tasks.
type Living struct {
	Points []roster.PointsChange
	Notes  []roster.Note
	Tasks  []LivingTask
}

// LivingTask is a demo task: its title, its due day in days from today
// (negative: overdue) and whether it is done.
type LivingTask struct {
	Title     string
	DueInDays int
	Done      bool
}

var (
	earnings = []string{"Attended the spring meetup", "Referred a friend", "Posted a top answer", "Completed the profile",
		"Monthly challenge winner", "Birthday bonus", "Helped a newcomer", "Reviewed a product"}
	spendings = []string{"Redeemed a tote bag", "Redeemed a coffee voucher", "Correction: duplicate award"}
	noteTexts = []string{
		"Called about **billing**: the March invoice was charged twice, a refund is on its way.",
		"Prefers *email* over phone.\n- Speaks French and English\n- Best reached in the morning",
		"Hosts the local meetups: escalate anything urgent.",
		"Asked to join the [beta programme](https://example.com/beta).",
		"Lost access to their account after changing phones; identity checked by video call.",
		"Sent a long suggestion about the mobile app's search. Worth reading again before the next planning.",
	}
	taskTitles = []string{"Call back about the refund", "Send the welcome pack", "Check the new address",
		"Follow up on the beta invitation", "Thank them for hosting the meetup", "Ask for a testimonial"}
	sources = []string{roster.LedgerStaff, roster.LedgerAPI, roster.LedgerAPI, roster.LedgerAutomation}
)

// Living returns the activity of the i-th demo user, whose points start at
// balance: every removal leaves the balance at zero or above. The same
// seed and i give the same activity.
func (g *Generator) Living(i int, balance int64) Living {
	var r rng
	r.p.Seed(mix64(g.seed^mix64(uint64(i)+0x11ee)), mix64(uint64(i)+0x5a17))
	var l Living
	for range 2 + r.intn(5) {
		c := roster.PointsChange{Source: sources[r.intn(len(sources))]}
		if balance > 50 && r.chance(0.3) {
			c.Amount = -int64(10 + r.intn(int(min(balance, 500))/2))
			c.Reason = spendings[r.intn(len(spendings))]
		} else {
			c.Amount = int64(5 * (1 + r.intn(40)))
			c.Reason = earnings[r.intn(len(earnings))]
		}
		balance += c.Amount
		l.Points = append(l.Points, c)
	}
	for j := range r.intn(3) {
		l.Notes = append(l.Notes, roster.Note{Body: noteTexts[r.intn(len(noteTexts))], Pinned: j == 0 && r.chance(0.4)})
	}
	for range r.intn(3) {
		l.Tasks = append(l.Tasks, LivingTask{Title: taskTitles[r.intn(len(taskTitles))], DueInDays: r.intn(14) - 4, Done: r.chance(0.25)})
	}
	return l
}
