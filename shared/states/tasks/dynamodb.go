package tasks

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/shared/states/failure"
	"github.com/shipwave/shipwave/shared/states/jsonvalue"
)

// DynamoDB item operation resources.
const (
	DynamoDBGetItem    = "arn:aws:states:::dynamodb:getItem"
	DynamoDBPutItem    = "arn:aws:states:::dynamodb:putItem"
	DynamoDBUpdateItem = "arn:aws:states:::dynamodb:updateItem"
	DynamoDBDeleteItem = "arn:aws:states:::dynamodb:deleteItem"
)

// DynamoDBAPI is the part of the DynamoDB client the integration uses.
type DynamoDBAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// DynamoDB returns the handler for the dynamodb:getItem, putItem,
// updateItem and deleteItem integrations. Parameters use the DynamoDB API's
// field names (TableName, Key, Item, UpdateExpression, …) and attribute
// values in DynamoDB JSON; results are the API responses in the same form.
// Service errors fail the task as "DynamoDB.<ErrorCode>" with the cause
// Step Functions reports, such as DynamoDB.ConditionalCheckFailedException.
func DynamoDB(api DynamoDBAPI) states.TaskHandler { return &dynamoHandler{api: api} }

type dynamoHandler struct{ api DynamoDBAPI }

type dynamoParams struct {
	TableName                   string                     `json:"TableName"`
	Key                         map[string]json.RawMessage `json:"Key"`
	Item                        map[string]json.RawMessage `json:"Item"`
	ConditionExpression         *string                    `json:"ConditionExpression"`
	UpdateExpression            *string                    `json:"UpdateExpression"`
	ProjectionExpression        *string                    `json:"ProjectionExpression"`
	ExpressionAttributeNames    map[string]string          `json:"ExpressionAttributeNames"`
	ExpressionAttributeValues   map[string]json.RawMessage `json:"ExpressionAttributeValues"`
	ReturnValues                string                     `json:"ReturnValues"`
	ConsistentRead              *bool                      `json:"ConsistentRead"`
	ReturnConsumedCapacity      string                     `json:"ReturnConsumedCapacity"`
	ReturnItemCollectionMetrics string                     `json:"ReturnItemCollectionMetrics"`
}

func (h *dynamoHandler) Invoke(ctx context.Context, req states.TaskRequest) (json.RawMessage, error) {
	var p dynamoParams
	if err := json.Unmarshal(req.Input, &p); err != nil {
		return nil, failure.Newf(failure.TaskFailed, "Invalid DynamoDB parameters: %v", err)
	}
	op := strings.TrimPrefix(req.Resource, "arn:aws:states:::dynamodb:")
	key, err := attrMap(p.Key, "Key")
	if err != nil {
		return nil, err
	}
	values, err := attrMap(p.ExpressionAttributeValues, "ExpressionAttributeValues")
	if err != nil {
		return nil, err
	}
	var attrs map[string]types.AttributeValue
	var item map[string]types.AttributeValue
	switch op {
	case "getItem":
		out, err := h.api.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(p.TableName), Key: key, ConsistentRead: p.ConsistentRead,
			ProjectionExpression: p.ProjectionExpression, ExpressionAttributeNames: p.ExpressionAttributeNames,
			ReturnConsumedCapacity: types.ReturnConsumedCapacity(p.ReturnConsumedCapacity),
		})
		if err != nil {
			return nil, dynamoError(err)
		}
		item = out.Item
	case "putItem":
		it, err := attrMap(p.Item, "Item")
		if err != nil {
			return nil, err
		}
		out, err := h.api.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(p.TableName), Item: it, ConditionExpression: p.ConditionExpression,
			ExpressionAttributeNames: p.ExpressionAttributeNames, ExpressionAttributeValues: values,
			ReturnValues: types.ReturnValue(p.ReturnValues), ReturnConsumedCapacity: types.ReturnConsumedCapacity(p.ReturnConsumedCapacity),
		})
		if err != nil {
			return nil, dynamoError(err)
		}
		attrs = out.Attributes
	case "updateItem":
		out, err := h.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(p.TableName), Key: key, UpdateExpression: p.UpdateExpression,
			ConditionExpression: p.ConditionExpression, ExpressionAttributeNames: p.ExpressionAttributeNames,
			ExpressionAttributeValues: values, ReturnValues: types.ReturnValue(p.ReturnValues),
			ReturnConsumedCapacity: types.ReturnConsumedCapacity(p.ReturnConsumedCapacity),
		})
		if err != nil {
			return nil, dynamoError(err)
		}
		attrs = out.Attributes
	case "deleteItem":
		out, err := h.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName: aws.String(p.TableName), Key: key, ConditionExpression: p.ConditionExpression,
			ExpressionAttributeNames: p.ExpressionAttributeNames, ExpressionAttributeValues: values,
			ReturnValues: types.ReturnValue(p.ReturnValues), ReturnConsumedCapacity: types.ReturnConsumedCapacity(p.ReturnConsumedCapacity),
		})
		if err != nil {
			return nil, dynamoError(err)
		}
		attrs = out.Attributes
	default:
		return nil, failure.Newf(failure.TaskFailed, "Unsupported DynamoDB operation '%s'", op)
	}
	res := jsonvalue.NewObject(2)
	if attrs != nil {
		res.Set("Attributes", encodeAttrMap(attrs))
	}
	if item != nil {
		res.Set("Item", encodeAttrMap(item))
	}
	return jsonvalue.Marshal(res)
}

func dynamoError(err error) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return failure.Newf(failure.TaskFailed, "DynamoDB request failed: %v", err)
	}
	status, reqID := 400, ""
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
		reqID = re.ServiceRequestID()
	}
	return failure.New("DynamoDB."+ae.ErrorCode(),
		fmt.Sprintf("%s (Service: AmazonDynamoDBv2; Status Code: %d; Error Code: %s; Request ID: %s; Proxy: null)", ae.ErrorMessage(), status, ae.ErrorCode(), reqID))
}

func attrMap(m map[string]json.RawMessage, field string) (map[string]types.AttributeValue, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]types.AttributeValue, len(m))
	for k, raw := range m {
		v, err := decodeAttr(raw)
		if err != nil {
			return nil, failure.Newf(failure.TaskFailed, "Invalid attribute value in %s.%s: %v", field, k, err)
		}
		out[k] = v
	}
	return out, nil
}

// decodeAttr parses one attribute value in DynamoDB JSON, such as {"S":"x"}.
func decodeAttr(raw json.RawMessage) (types.AttributeValue, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	if len(m) != 1 {
		return nil, fmt.Errorf("want exactly one type key, got %d", len(m))
	}
	for t, v := range m {
		switch t {
		case "S":
			var s string
			err := json.Unmarshal(v, &s)
			return &types.AttributeValueMemberS{Value: s}, err
		case "N":
			var s string
			err := json.Unmarshal(v, &s)
			return &types.AttributeValueMemberN{Value: s}, err
		case "B":
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, err
			}
			b, err := base64.StdEncoding.DecodeString(s)
			return &types.AttributeValueMemberB{Value: b}, err
		case "BOOL":
			var b bool
			err := json.Unmarshal(v, &b)
			return &types.AttributeValueMemberBOOL{Value: b}, err
		case "NULL":
			var b bool
			err := json.Unmarshal(v, &b)
			return &types.AttributeValueMemberNULL{Value: b}, err
		case "SS", "NS":
			var ss []string
			if err := json.Unmarshal(v, &ss); err != nil {
				return nil, err
			}
			if t == "SS" {
				return &types.AttributeValueMemberSS{Value: ss}, nil
			}
			return &types.AttributeValueMemberNS{Value: ss}, nil
		case "BS":
			var ss []string
			if err := json.Unmarshal(v, &ss); err != nil {
				return nil, err
			}
			bs := make([][]byte, len(ss))
			for i, s := range ss {
				b, err := base64.StdEncoding.DecodeString(s)
				if err != nil {
					return nil, err
				}
				bs[i] = b
			}
			return &types.AttributeValueMemberBS{Value: bs}, nil
		case "L":
			var l []json.RawMessage
			if err := json.Unmarshal(v, &l); err != nil {
				return nil, err
			}
			out := make([]types.AttributeValue, len(l))
			for i, e := range l {
				a, err := decodeAttr(e)
				if err != nil {
					return nil, err
				}
				out[i] = a
			}
			return &types.AttributeValueMemberL{Value: out}, nil
		case "M":
			var mm map[string]json.RawMessage
			if err := json.Unmarshal(v, &mm); err != nil {
				return nil, err
			}
			out, err := attrMap(mm, "M")
			if err != nil {
				return nil, err
			}
			if out == nil {
				out = map[string]types.AttributeValue{}
			}
			return &types.AttributeValueMemberM{Value: out}, nil
		default:
			return nil, fmt.Errorf("unknown attribute type %q", t)
		}
	}
	return nil, nil
}

// encodeAttrMap renders attribute values in DynamoDB JSON with keys sorted,
// so results are stable.
func encodeAttrMap(m map[string]types.AttributeValue) *jsonvalue.Object {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	obj := jsonvalue.NewObject(len(keys))
	for _, k := range keys {
		obj.Set(k, encodeAttr(m[k]))
	}
	return obj
}

func encodeAttr(a types.AttributeValue) any {
	o := jsonvalue.NewObject(1)
	switch v := a.(type) {
	case *types.AttributeValueMemberS:
		o.Set("S", v.Value)
	case *types.AttributeValueMemberN:
		o.Set("N", v.Value)
	case *types.AttributeValueMemberB:
		o.Set("B", base64.StdEncoding.EncodeToString(v.Value))
	case *types.AttributeValueMemberBOOL:
		o.Set("BOOL", v.Value)
	case *types.AttributeValueMemberNULL:
		o.Set("NULL", v.Value)
	case *types.AttributeValueMemberSS:
		o.Set("SS", strings2any(v.Value))
	case *types.AttributeValueMemberNS:
		o.Set("NS", strings2any(v.Value))
	case *types.AttributeValueMemberBS:
		l := make([]any, len(v.Value))
		for i, b := range v.Value {
			l[i] = base64.StdEncoding.EncodeToString(b)
		}
		o.Set("BS", l)
	case *types.AttributeValueMemberL:
		l := make([]any, len(v.Value))
		for i, e := range v.Value {
			l[i] = encodeAttr(e)
		}
		o.Set("L", l)
	case *types.AttributeValueMemberM:
		o.Set("M", encodeAttrMap(v.Value))
	}
	return o
}

func strings2any(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
