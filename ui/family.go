package ui

import (
	"context"

	"github.com/ordohq/ordo"
)

// maxShownChildren bounds the children an instance page lists.
const maxShownChildren = 100

// familyView links an instance to its parent and its children (child
// workflows).
type familyView struct {
	Parent   *relativeView
	Children []relativeView
	// More is set when the instance has more children than are shown.
	More bool
	// Error says why the children could not be listed.
	Error string
}

// relativeView is a parent or child instance, linked.
type relativeView struct {
	ID, URL, Workflow, Status string
	// Step is the parent's step that started the child; Policy what the
	// parent's terminate or cancel does to it.
	Step, Policy string
}

// family returns the parent and children of inst.
func (h *handler) family(ctx context.Context, inst *ordo.Instance) familyView {
	var f familyView
	if inst.ParentID != "" {
		f.Parent = &relativeView{ID: inst.ParentID, URL: h.instanceURL(inst.ParentID), Step: inst.ParentStep,
			Policy: string(inst.ChildPolicy)}
	}
	page, err := h.engine.List(ctx, &ordo.ListOptions{ParentID: inst.ID, Limit: maxShownChildren})
	if err != nil {
		f.Error = "The children could not be listed: " + ordo.Message(err)
		return f
	}
	for _, c := range page.Instances {
		f.Children = append(f.Children, relativeView{ID: c.ID, URL: h.instanceURL(c.ID), Workflow: c.Workflow,
			Status: string(c.Status), Step: c.ParentStep, Policy: string(c.ChildPolicy)})
	}
	f.More = page.NextCursor != ""
	return f
}
