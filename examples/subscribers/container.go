package main

import (
	"fmt"
	"sync"
)

// Container holds the shop's services by name, as Medusa's container does:
// steps resolve what they need ("product", "report", "notifier") instead
// of capturing it, so a test registers other implementations under the
// same names.
type Container struct {
	mu       sync.RWMutex
	services map[string]any
}

// NewContainer returns an empty container.
func NewContainer() *Container {
	return &Container{services: map[string]any{}}
}

// Register stores a service under name, replacing any earlier one.
func (c *Container) Register(name string, service any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.services[name] = service
}

// Resolve returns the service registered under name as a T; it fails when
// nothing is registered under name or the service is not a T.
func Resolve[T any](c *Container, name string) (T, error) {
	var zero T
	c.mu.RLock()
	s, ok := c.services[name]
	c.mu.RUnlock()
	if !ok {
		return zero, fmt.Errorf("container: no service %q registered", name)
	}
	v, ok := s.(T)
	if !ok {
		return zero, fmt.Errorf("container: service %q is a %T, not a %T", name, s, zero)
	}
	return v, nil
}
