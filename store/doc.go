// Package store is the storage seam of Ordo: the small interface every
// backend implements (store/sqlite, store/postgres, store/memory) and the
// shared types that cross it. The engine is the only caller; users reach
// storage through the ordo.Engine.
//
// Every backend must pass the conformance suite in store/storetest.
package store
