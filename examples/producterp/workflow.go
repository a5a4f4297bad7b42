package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ordohq/ordo"
)

// Product is the shop's product record (the seed's ProductDTO, reduced).
type Product struct {
	ID          string  `json:"id"`
	Title       string  `json:"title"`
	Description string  `json:"description"`
	Price       float64 `json:"price"`
}

// UpdateInput is the workflow's input: the product ID and the new data
// (the seed's UpsertProductDTO).
type UpdateInput struct {
	ID          string   `json:"id"`
	Title       *string  `json:"title,omitempty"`
	Description *string  `json:"description,omitempty"`
	Price       *float64 `json:"price,omitempty"`
}

// ERPData is the ERP system's view of a product.
type ERPData map[string]any

// Output is the workflow's result: the updated product and ERP data.
type Output struct {
	Product Product `json:"product"`
	ERPData ERPData `json:"erpData"`
}

// ERP is the third-party ERP system (the seed's ErpModuleService).
type ERP interface {
	RetrieveProductErpDetails(ctx context.Context, productID string) (ERPData, error)
	UpdateProductErpData(ctx context.Context, productID string, data ERPData) (ERPData, error)
}

// Products is the local product service (the seed's ProductModuleService).
type Products struct{ DB *sql.DB }

// Retrieve loads a product.
func (p *Products) Retrieve(ctx context.Context, id string) (Product, error) {
	var pr Product
	err := p.DB.QueryRowContext(ctx, `SELECT id, title, description, price FROM product WHERE id = ?`, id).
		Scan(&pr.ID, &pr.Title, &pr.Description, &pr.Price)
	if errors.Is(err, sql.ErrNoRows) {
		return pr, ordo.NonRetryable(fmt.Errorf("product %q does not exist", id))
	}
	return pr, err
}

// Save writes a whole product.
func (p *Products) Save(ctx context.Context, pr Product) error {
	_, err := p.DB.ExecContext(ctx, `UPDATE product SET title = ?, description = ?, price = ? WHERE id = ?`,
		pr.Title, pr.Description, pr.Price, pr.ID)
	return err
}

func apply(pr Product, in UpdateInput) Product {
	if in.Title != nil {
		pr.Title = *in.Title
	}
	if in.Description != nil {
		pr.Description = *in.Description
	}
	if in.Price != nil {
		pr.Price = *in.Price
	}
	return pr
}

// productUndo is what the update-product step records for its compensation.
type productUndo struct {
	PreviousProductData Product `json:"previousProductData"`
}

// erpUndo is what the update-erp step records for its compensation.
type erpUndo struct {
	PreviousErpData ERPData `json:"previousErpData"`
	ProductID       string  `json:"productId"`
}

// NewWorkflow is seed 003's update-product-and-erp workflow: update the
// product, then its ERP record; each step's compensation restores the data
// it overwrote if a later step fails.
func NewWorkflow(products *Products, erp ERP) *ordo.Workflow[UpdateInput, Output] {
	return ordo.NewWorkflow("update-product-and-erp", UpdateProductAndERP(products, erp))
}

// UpdateProductAndERP is the workflow function, usable inside larger
// workflows.
func UpdateProductAndERP(products *Products, erp ERP) func(ctx context.Context, in UpdateInput) (Output, error) {
	return func(ctx context.Context, in UpdateInput) (Output, error) {
		product, err := ordo.DoWithCompensation(ctx, "update-product", nil,
			func(ctx context.Context) (Product, productUndo, error) {
				previous, err := products.Retrieve(ctx, in.ID)
				if err != nil {
					return Product{}, productUndo{}, err
				}
				updated := apply(previous, in)
				if err := products.Save(ctx, updated); err != nil {
					return Product{}, productUndo{}, err
				}
				return updated, productUndo{PreviousProductData: previous}, nil
			},
			func(ctx context.Context, undo productUndo) error {
				return products.Save(ctx, undo.PreviousProductData)
			})
		if err != nil {
			return Output{}, err
		}

		erpData, err := ordo.DoWithCompensation(ctx, "update-erp", nil,
			func(ctx context.Context) (ERPData, erpUndo, error) {
				previous, err := erp.RetrieveProductErpDetails(ctx, in.ID)
				if err != nil {
					return nil, erpUndo{}, err
				}
				updated, err := erp.UpdateProductErpData(ctx, in.ID, ERPData{"title": product.Title, "description": product.Description, "price": product.Price})
				if err != nil {
					return nil, erpUndo{}, err
				}
				return updated, erpUndo{PreviousErpData: previous, ProductID: in.ID}, nil
			},
			func(ctx context.Context, undo erpUndo) error {
				_, err := erp.UpdateProductErpData(ctx, undo.ProductID, undo.PreviousErpData)
				return err
			})
		if err != nil {
			return Output{}, err
		}
		return Output{Product: product, ERPData: erpData}, nil
	}
}
