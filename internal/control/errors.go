package control

import (
	"errors"
	"fmt"

	"github.com/plink-dev/plink/internal/escape"
)

// Error is an AWS API error: a code such as InvalidVpcEndpointId.NotFound and
// a message. The CLI prints it as the AWS CLI does:
// "An error occurred (<Code>) when calling the <Op> operation: <Message>".
type Error struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf builds an Error with a formatted message. Messages echo user
// input (IDs, names, tag keys), so control characters in the message are
// written as visible escapes (\x1b, \u009b): an error printed to a
// terminal or a log never carries one.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: escape.Control(fmt.Sprintf(format, args...))}
}

// AsError returns the *Error inside err, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Error codes used across the API.
const (
	ErrCodeInvalidParameter            = "InvalidParameter"
	ErrCodeInvalidParameterValue       = "InvalidParameterValue"
	ErrCodeInvalidParameterCombination = "InvalidParameterCombination"
	ErrCodeMissingParameter            = "MissingParameter"
	ErrCodeInvalidFilter               = "InvalidFilter"
	ErrCodeValidationError             = "ValidationError" // elbv2
)

// Error codes of paging and dry-run (EC2; ELBv2 answers a bad Marker or
// PageSize with ValidationError and has no dry run).
const (
	// "The specified NextToken is not valid." (EC2 error codes)
	ErrCodeInvalidNextToken = "InvalidNextToken"
	// "The specified pagination token is not valid or is expired." (EC2
	// error codes; plink answers every bad token with InvalidNextToken)
	ErrCodeInvalidPaginationToken = "InvalidPaginationToken"
	// "Request would have succeeded, but DryRun flag is set."
	ErrCodeDryRunOperation = "DryRunOperation"
	// A known identity that may not do what it asks (EC2).
	ErrCodeUnauthorizedOperation = "UnauthorizedOperation"
)

// EC2 error codes.
const (
	ErrCodeCannotDelete                         = "CannotDelete"
	ErrCodeDependencyViolation                  = "DependencyViolation"
	ErrCodeDuplicateSubnetsInSameZone           = "DuplicateSubnetsInSameZone"
	ErrCodeDuplicateTagKeys                     = "DuplicateTagKeys"
	ErrCodeExistingVpcEndpointConnections       = "ExistingVpcEndpointConnections"
	ErrCodeIncorrectState                       = "IncorrectState"
	ErrCodeInsufficientFreeAddressesInSubnet    = "InsufficientFreeAddressesInSubnet"
	ErrCodeInvalidConnectionNotification        = "InvalidConnectionNotification"
	ErrCodeInvalidGroupDuplicate                = "InvalidGroup.Duplicate"
	ErrCodeInvalidGroupNotFound                 = "InvalidGroup.NotFound"
	ErrCodeInvalidNetworkInterfaceIDNotFound    = "InvalidNetworkInterfaceID.NotFound"
	ErrCodeInvalidPermissionDuplicate           = "InvalidPermission.Duplicate"
	ErrCodeInvalidPermissionNotFound            = "InvalidPermission.NotFound"
	ErrCodeInvalidServiceName                   = "InvalidServiceName"
	ErrCodeInvalidState                         = "InvalidState"
	ErrCodeInvalidSubnetConflict                = "InvalidSubnet.Conflict"
	ErrCodeInvalidSubnetRange                   = "InvalidSubnet.Range"
	ErrCodeInvalidSubnetIDNotFound              = "InvalidSubnetID.NotFound"
	ErrCodeInvalidVpcRange                      = "InvalidVpc.Range"
	ErrCodeInvalidVpcEndpointNotFound           = "InvalidVpcEndpoint.NotFound"
	ErrCodeInvalidVpcEndpointIDNotFound         = "InvalidVpcEndpointId.NotFound"
	ErrCodeInvalidVpcEndpointServiceNotFound    = "InvalidVpcEndpointService.NotFound"
	ErrCodeInvalidVpcEndpointServiceIDMalformed = "InvalidVpcEndpointServiceId.Malformed"
	ErrCodeInvalidVpcEndpointServiceIDNotFound  = "InvalidVpcEndpointServiceId.NotFound"
	ErrCodeInvalidVpcEndpointType               = "InvalidVpcEndpointType"
	ErrCodeInvalidVpcIDNotFound                 = "InvalidVpcID.NotFound"
	ErrCodeVpcLimitExceeded                     = "VpcLimitExceeded"
)

func missing(name string) *Error {
	return Errorf(ErrCodeMissingParameter, "The request must contain the parameter %s", name)
}

func invalidValue(format string, args ...any) *Error {
	return Errorf(ErrCodeInvalidParameterValue, format, args...)
}

func malformed(kind, id string) *Error {
	return Errorf("Invalid"+kind+"Id.Malformed", "Invalid id: \"%s\"", id)
}
