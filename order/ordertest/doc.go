// Package ordertest provides the far ends of an order flow for tests: an
// in-process SMTP server speaking real SMTP (github.com/emersion/go-smtp on
// 127.0.0.1) and an HTTP endpoint that records the POSTs of
// consume-rest-api steps. Both let a test choose each answer, refuse or
// block, and wait for what arrived with a deadline instead of sleeping.
package ordertest
