package violation

// AlertSink receives the alerts of a Log: every event of a violation that is
// not suppressed, exactly once each.
//
// Ordering: alerts are delivered one at a time, never concurrently, in the
// order of the log's events (the order in which the transitions took the
// log's lock), always outside the log's lock, so a sink may call the log. The
// goroutine whose transition finds no delivery in progress delivers; a
// transition made while another goroutine (or the sink itself, re-entering)
// is delivering returns at once and its alert is delivered by that
// goroutine, after the ones before it. A caller that makes all its
// transitions from one goroutine, and whose sink does not call back into the
// transition methods, therefore sees each alert delivered before the
// transition method returns. Alert should be quick: it holds up the
// goroutine delivering, which is one of the log's callers.
type AlertSink interface {
	Alert(e Event)
}

// AlertFunc adapts a function to AlertSink.
type AlertFunc func(e Event)

// Alert calls f(e).
func (f AlertFunc) Alert(e Event) { f(e) }

// outbox holds the alerts not yet delivered, in event order. It is guarded by
// the log's lock; delivery itself runs outside it.
type outbox struct {
	queue      []Event
	spare      []Event // the previous batch's storage, reused
	delivering bool
}

// push queues e and reports whether the caller must deliver (no one is).
func (o *outbox) push(e Event) bool {
	o.queue = append(o.queue, e)
	if o.delivering {
		return false
	}
	o.delivering = true
	return true
}

// deliver sends queued alerts to the sink, batch by batch, until the queue is
// empty. If the sink panics, the rest of the batch goes back to the head of
// the queue for the next deliverer and the panic goes on.
func (l *Log) deliver() {
	var batch []Event
	sent, finished := 0, false
	defer func() {
		if finished {
			return
		}
		l.mu.Lock()
		l.alerts.queue = append(batch[sent:len(batch):len(batch)], l.alerts.queue...)
		l.alerts.delivering = false
		l.mu.Unlock()
	}()
	for {
		l.mu.Lock()
		if batch != nil {
			clear(batch)
			l.alerts.spare = batch[:0]
		}
		batch, sent = l.alerts.queue, 0
		if len(batch) == 0 {
			l.alerts.delivering = false
			l.mu.Unlock()
			finished = true
			return
		}
		l.alerts.queue, l.alerts.spare = l.alerts.spare, nil
		l.mu.Unlock()
		for _, e := range batch {
			sent++
			l.sink.Alert(e)
		}
	}
}
