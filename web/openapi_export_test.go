package web

// UndescribedAPIRoutes are the /api/ routes that are not operations of
// the description, with why.
func UndescribedAPIRoutes() map[string]string { return undescribed }

// OperationPatterns are the route patterns the operations table describes.
func OperationPatterns() map[string]bool {
	out := map[string]bool{}
	for p := range operations {
		out[p] = true
	}
	return out
}
