package control

import (
	"context"
	"errors"
	"strings"

	"github.com/plink-dev/plink/internal/names"
	"github.com/plink-dev/plink/internal/store"
)

var connectionEvents = []string{"Connect", "Accept", "Reject", "Delete"}

// recordEvent writes the event of an endpoint's state change and, for
// each notification watching it, what that notification needs: SNS topic
// ARNs get a Notification.Published event (readable with `plink events`),
// http(s):// and file:// targets an outbox row in this same transaction.
// It returns the outbox rows for send to try once the transaction commits.
func (a *API) recordEvent(tx *store.Tx, event string, e store.Endpoint, svc store.Service) ([]delivery, error) {
	now := timestamp(a.now())
	d := eventDetail{Event: event, Time: now, ServiceID: e.ServiceID, VpcEndpointID: e.ID, VpcEndpointOwner: e.Account,
		VpcEndpointState: e.State, Accounts: []string{e.Account}}
	if svc.Account != "" && svc.Account != e.Account {
		d.Accounts = append(d.Accounts, svc.Account)
	}
	body := mustJSON(d)
	if err := tx.InsertEvent(store.Event{Time: now, Account: a.caller.Account, Type: "VpcEndpointConnection." + event, ResourceID: e.ID,
		ServiceID: e.ServiceID, EndpointID: e.ID, State: e.State, Detail: body}); err != nil {
		return nil, err
	}
	ns, err := tx.NotificationsFor(e.ServiceID, e.ID)
	if err != nil {
		return nil, err
	}
	var out []delivery
	for _, n := range ns {
		if n.State != StateNotificationEnabled || !contains(n.Events, event) {
			continue
		}
		if strings.HasPrefix(n.ARN, "arn:") {
			if err := tx.InsertEvent(store.Event{Time: now, Account: n.Account, Type: "Notification.Published", ResourceID: n.ARN,
				ServiceID: e.ServiceID, EndpointID: e.ID, State: e.State, NotificationID: n.ID, Detail: body}); err != nil {
				return nil, err
			}
			continue
		}
		// a.claim is set by the first a.deliveries(): call it first (Go
		// leaves the order of a call and a field read in one expression
		// unspecified).
		ob := a.deliveries()
		ds, err := ob.enqueue(tx, a.claim, n, event, e.ID, body)
		if err != nil {
			return nil, err
		}
		out = append(out, ds...)
	}
	return out, nil
}

// send tries the deliveries a committed change wrote, concurrently and
// within the delivery budget in all; what fails stays in the outbox for
// `plink serve` to retry (see notify_deliver.go). It never fails the
// command, which has committed already.
func (a *API) send(ctx context.Context, ds []delivery) {
	a.deliveries().sendNow(ctx, ds)
}

// deliveries is the API's outbox, made on first use (after the options).
func (a *API) deliveries() *Outbox {
	a.outboxOnce.Do(func() { a.outbox, a.claim = NewOutbox(a.st, a.log, a.notify), names.RandomHex(16) })
	return a.outbox
}

func checkEvents(events []string) ([]string, error) {
	if len(events) == 0 {
		return nil, missing("ConnectionEvents")
	}
	var out []string
	for _, e := range events {
		if !contains(connectionEvents, e) {
			return nil, invalidValue("Invalid connection event '%s': Connect, Accept, Reject or Delete.", e)
		}
		if !contains(out, e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// ConnectionNotification is the EC2 ConnectionNotification shape.
type ConnectionNotification struct {
	ConnectionNotificationID    string   `json:"ConnectionNotificationId"`
	ServiceID                   string   `json:"ServiceId,omitempty"`
	VpcEndpointID               string   `json:"VpcEndpointId,omitempty"`
	ConnectionNotificationType  string   `json:"ConnectionNotificationType"`
	ConnectionNotificationArn   string   `json:"ConnectionNotificationArn"`
	ConnectionEvents            []string `json:"ConnectionEvents"`
	ConnectionNotificationState string   `json:"ConnectionNotificationState"`
}

func notificationView(n store.Notification) ConnectionNotification {
	return ConnectionNotification{ConnectionNotificationID: n.ID, ServiceID: n.ServiceID, VpcEndpointID: n.EndpointID,
		ConnectionNotificationType: "Topic", ConnectionNotificationArn: n.ARN, ConnectionEvents: append([]string{}, n.Events...),
		ConnectionNotificationState: n.State}
}

// CreateVpcEndpointConnectionNotificationInput is ec2
// create-vpc-endpoint-connection-notification.
type CreateVpcEndpointConnectionNotificationInput struct {
	DryRun                    bool     `json:"DryRun"`
	ServiceID                 string   `json:"ServiceId"`
	VpcEndpointID             string   `json:"VpcEndpointId"`
	ConnectionNotificationArn string   `json:"ConnectionNotificationArn" aws:"required"`
	ConnectionEvents          []string `json:"ConnectionEvents" aws:"required"`
	ClientToken               string   `json:"ClientToken"`
}

// CreateVpcEndpointConnectionNotificationOutput is {"ConnectionNotification":
// {...}}, with the request's ClientToken when it had one.
type CreateVpcEndpointConnectionNotificationOutput struct {
	ConnectionNotification ConnectionNotification `json:"ConnectionNotification"`
	ClientToken            string                 `json:"ClientToken,omitempty"`
}

// CreateVpcEndpointConnectionNotification watches a service (provider) or an
// endpoint (consumer).
func (a *API) CreateVpcEndpointConnectionNotification(ctx context.Context, in *CreateVpcEndpointConnectionNotificationInput) (*CreateVpcEndpointConnectionNotificationOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.CreateVpcEndpointConnectionNotification)
	}
	if err := requiredEC2(in); err != nil {
		return nil, err
	}
	if (in.ServiceID == "") == (in.VpcEndpointID == "") {
		return nil, Errorf(ErrCodeInvalidParameterCombination, "Specify exactly one of ServiceId and VpcEndpointId.")
	}
	if err := checkNotificationTarget(in.ConnectionNotificationArn); err != nil {
		return nil, err
	}
	events, err := checkEvents(in.ConnectionEvents)
	if err != nil {
		return nil, err
	}
	n := store.Notification{ID: names.NewID(names.Notification), Account: a.caller.Account, Region: a.caller.Region,
		ARN: in.ConnectionNotificationArn, Events: events, State: StateNotificationEnabled, CreatedAt: timestamp(a.now())}
	var out *CreateVpcEndpointConnectionNotificationOutput
	err = a.write(ctx, func(tx *store.Tx) error {
		out = nil
		if seen, err := a.replayClientToken(tx, "CreateVpcEndpointConnectionNotification", in.ClientToken, in, &out); seen || err != nil {
			return err
		}
		if in.ServiceID != "" {
			s, err := a.serviceOwned(tx, in.ServiceID)
			if err != nil {
				return err
			}
			n.ServiceID = s.ID
		} else {
			e, err := a.ownedEndpoint(tx, in.VpcEndpointID)
			if err != nil {
				return err
			}
			n.EndpointID = e.ID
		}
		if err := tx.InsertNotification(n); err != nil {
			return err
		}
		out = &CreateVpcEndpointConnectionNotificationOutput{ConnectionNotification: notificationView(n), ClientToken: in.ClientToken}
		return a.saveClientToken(tx, "CreateVpcEndpointConnectionNotification", in.ClientToken, in, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DescribeVpcEndpointConnectionNotificationsInput is ec2
// describe-vpc-endpoint-connection-notifications.
type DescribeVpcEndpointConnectionNotificationsInput struct {
	DryRun                   bool     `json:"DryRun"`
	ConnectionNotificationID string   `json:"ConnectionNotificationId"`
	Filters                  []Filter `json:"Filters" locationName:"Filter"`
	EC2Paging
}

// DescribeVpcEndpointConnectionNotificationsOutput is {"ConnectionNotificationSet": [...]}.
type DescribeVpcEndpointConnectionNotificationsOutput struct {
	ConnectionNotificationSet []ConnectionNotification `json:"ConnectionNotificationSet"`
	NextToken                 string                   `json:"NextToken,omitempty"`
}

// DescribeVpcEndpointConnectionNotifications lists the caller's notifications.
func (a *API) DescribeVpcEndpointConnectionNotifications(ctx context.Context, in *DescribeVpcEndpointConnectionNotificationsInput) (*DescribeVpcEndpointConnectionNotificationsOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.DescribeVpcEndpointConnectionNotifications)
	}
	if err := checkPaging(a, in); err != nil {
		return nil, err
	}
	id, filters := in.ConnectionNotificationID, in.Filters
	var ids []string
	if id != "" {
		if !names.ValidID(names.Notification, id) {
			return nil, Errorf(ErrCodeInvalidConnectionNotification, "The connection notification ID '%s' is malformed", id)
		}
		ids = []string{id}
	}
	out := &DescribeVpcEndpointConnectionNotificationsOutput{ConnectionNotificationSet: []ConnectionNotification{}}
	err := a.st.Read(ctx, func(tx *store.Tx) error {
		ns, err := tx.Notifications(a.caller.Account, a.caller.Region, ids)
		if err != nil {
			return err
		}
		if id != "" && len(ns) == 0 {
			return Errorf(ErrCodeInvalidConnectionNotification, "The connection notification ID '%s' does not exist", id)
		}
		for _, n := range ns {
			out.ConnectionNotificationSet = append(out.ConnectionNotificationSet, notificationView(n))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.ConnectionNotificationSet, err = applyFilters(out.ConnectionNotificationSet, filters, connectionNotificationFilters)
	if err != nil {
		return nil, err
	}
	out.ConnectionNotificationSet, out.NextToken, err = pageEC2(a, in, out.ConnectionNotificationSet, func(v ConnectionNotification) string { return v.ConnectionNotificationID })
	return out, err
}

// ModifyVpcEndpointConnectionNotificationInput is ec2
// modify-vpc-endpoint-connection-notification.
type ModifyVpcEndpointConnectionNotificationInput struct {
	DryRun                    bool     `json:"DryRun"`
	ConnectionNotificationID  string   `json:"ConnectionNotificationId" aws:"required"`
	ConnectionNotificationArn string   `json:"ConnectionNotificationArn"`
	ConnectionEvents          []string `json:"ConnectionEvents"`
}

// ModifyVpcEndpointConnectionNotificationOutput is {"ReturnValue": true}.
type ModifyVpcEndpointConnectionNotificationOutput struct {
	ReturnValue bool `json:"ReturnValue" locationName:"return"`
}

func (a *API) ownedNotification(tx *store.Tx, id string) (store.Notification, error) {
	if !names.ValidID(names.Notification, id) {
		return store.Notification{}, Errorf(ErrCodeInvalidConnectionNotification, "The connection notification ID '%s' is malformed", id)
	}
	n, err := tx.Notification(id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (n.Account != a.caller.Account || n.Region != a.caller.Region)) {
		return n, Errorf(ErrCodeInvalidConnectionNotification, "The connection notification ID '%s' does not exist", id)
	}
	return n, err
}

// ModifyVpcEndpointConnectionNotification changes the target or events.
// Messages already written keep the target they were written for.
func (a *API) ModifyVpcEndpointConnectionNotification(ctx context.Context, in *ModifyVpcEndpointConnectionNotificationInput) (*ModifyVpcEndpointConnectionNotificationOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.ModifyVpcEndpointConnectionNotification)
	}
	if err := requiredEC2(in); err != nil {
		return nil, err
	}
	if in.ConnectionNotificationArn == "" && len(in.ConnectionEvents) == 0 {
		return nil, missing("ConnectionNotificationArn or ConnectionEvents")
	}
	err := a.write(ctx, func(tx *store.Tx) error {
		n, err := a.ownedNotification(tx, in.ConnectionNotificationID)
		if err != nil {
			return err
		}
		if in.ConnectionNotificationArn != "" {
			if err := checkNotificationTarget(in.ConnectionNotificationArn); err != nil {
				return err
			}
			n.ARN = in.ConnectionNotificationArn
		}
		if len(in.ConnectionEvents) > 0 {
			if n.Events, err = checkEvents(in.ConnectionEvents); err != nil {
				return err
			}
		}
		return tx.UpdateNotification(n)
	})
	if err != nil {
		return nil, err
	}
	return &ModifyVpcEndpointConnectionNotificationOutput{ReturnValue: true}, nil
}

// DeleteVpcEndpointConnectionNotificationsInput is ec2
// delete-vpc-endpoint-connection-notifications.
type DeleteVpcEndpointConnectionNotificationsInput struct {
	DryRun                    bool     `json:"DryRun"`
	ConnectionNotificationIDs []string `json:"ConnectionNotificationIds" aws:"required" locationName:"ConnectionNotificationId"`
}

// DeleteVpcEndpointConnectionNotificationsOutput is {"Unsuccessful": [...]}.
type DeleteVpcEndpointConnectionNotificationsOutput struct{ BatchResult }

// DeleteVpcEndpointConnectionNotifications deletes notifications; unknown
// IDs come back in Unsuccessful.
func (a *API) DeleteVpcEndpointConnectionNotifications(ctx context.Context, in *DeleteVpcEndpointConnectionNotificationsInput) (*DeleteVpcEndpointConnectionNotificationsOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.DeleteVpcEndpointConnectionNotifications)
	}
	if err := requiredEC2(in); err != nil {
		return nil, err
	}
	ids := in.ConnectionNotificationIDs
	out := &DeleteVpcEndpointConnectionNotificationsOutput{BatchResult{Unsuccessful: []UnsuccessfulItem{}}}

	err := a.write(ctx, func(tx *store.Tx) error {
		for _, id := range ids {
			n, err := a.ownedNotification(tx, id)
			if e, ok := AsError(err); ok {
				out.fail(id, e)
				continue
			}
			if err != nil {
				return err
			}
			if err := tx.DeleteNotification(n.ID); err != nil {
				return err
			}
			// Its pending deliveries go with it.
			if err := tx.DeleteDeliveriesOf(n.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EventRecord is one line of `plink events`.
type EventRecord struct {
	Seq            int64  `json:"Seq"`
	Time           string `json:"Time"`
	Type           string `json:"Type"`
	ResourceID     string `json:"ResourceId"`
	ServiceID      string `json:"ServiceId,omitempty"`
	VpcEndpointID  string `json:"VpcEndpointId,omitempty"`
	State          string `json:"State,omitempty"`
	NotificationID string `json:"ConnectionNotificationId,omitempty"`
	Caller         string `json:"Caller"`
	Detail         string `json:"Detail"`
}

// Events lists the events that concern the caller after seq.
func (a *API) Events(ctx context.Context, after int64, limit int) ([]EventRecord, error) {
	out := []EventRecord{}
	err := a.st.Read(ctx, func(tx *store.Tx) error {
		evs, err := tx.Events(a.caller.Account, after, limit)
		for _, e := range evs {
			out = append(out, EventRecord{Seq: e.Seq, Time: e.Time, Type: e.Type, ResourceID: e.ResourceID, ServiceID: e.ServiceID,
				VpcEndpointID: e.EndpointID, State: e.State, NotificationID: e.NotificationID, Caller: e.Account, Detail: e.Detail})
		}
		return err
	})
	return out, err
}
