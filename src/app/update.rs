//! `update(&mut State, Action) -> Vec<Effect>`: every state change, and no I/O.

use super::action::{Action, ConnectOutcome, Effect};
use super::form::{ConnectRequest, FormOutcome, FormPhase, KeyForm};
use super::keys::{self, Context};
use super::screens::{Outcome, cards};
use super::state::{Modal, Notice, OAuthView, State};
use crate::model::{AuthKind, ExchangeId};
use crossterm::event::KeyEvent;

/// Applies one action.
pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Key(key) if keys::is_force_quit(&key) => {
            state.quit = true;
            vec![]
        }
        Action::Key(key) if state.form.is_some() => form_key(state, key),
        Action::Key(key) => match &state.modal {
            Some(_) => modal_key(state, &key),
            None if state.filter.as_ref().is_some_and(|f| f.editing) => {
                cards::filter_key(state, &key)
            }
            None => state
                .keys
                .lookup(Context::Cards, &key)
                .map_or_else(Vec::new, |i| cards::on_intent(state, i)),
        },
        Action::Mouse(mouse) => {
            if state.form.is_none() && state.modal.is_none() {
                cards::on_mouse(state, mouse);
            }
            vec![]
        }
        Action::Paste(text) => {
            if let Some(form) = state.form.as_mut() {
                form.handle_paste(&text.0);
            }
            vec![]
        }
        Action::Resize { width, height } => {
            state.screen = (width, height);
            vec![]
        }
        Action::Tick(now) => {
            state.now = now;
            if let Some(form) = state.form.as_mut()
                && *form.phase() == FormPhase::Validating
            {
                form.spinner_tick();
            }
            if !state.syncing.is_empty() || state.oauth_waiting() {
                state.spinner = state.spinner.wrapping_add(1);
            }
            if state.throttle.valuation_wanted() {
                return want_valuation(state);
            }
            vec![]
        }
        Action::Connections(list) => {
            state.set_connections(list);
            want_valuation(state)
        }
        Action::Valued {
            valuation,
            day_change,
        } => {
            state.valuation = Some(valuation);
            state.day_change = day_change;
            vec![]
        }
        Action::DetailLoaded(detail) => {
            // Only if the trader is still waiting for this detail.
            if let Some(Modal::Detail(d)) = &mut state.modal
                && d.id == detail.id
            {
                *d = detail;
            }
            vec![]
        }
        Action::HistoryLoaded { range, points } => {
            if let Some(Modal::Portfolio(view)) = &mut state.modal {
                view.history_loaded(range, points);
            }
            vec![]
        }
        Action::SyncStarted(id) => {
            state.syncing.insert(id);
            vec![]
        }
        Action::SyncFinished {
            id,
            outcome,
            record,
        } => {
            state.syncing.remove(&id);
            if let Err(message) = outcome {
                state.notice = Some(Notice {
                    text: message,
                    is_error: true,
                });
            }
            let mut effects = reload_open_detail(state, id);
            // The card changes from the event; the whole list is read again only for a
            // connection it does not know, and now and then for what another keyfolio
            // process changed (a connect, a disconnect, an interval).
            let known = record.is_some_and(|r| state.replace_connection(*r));
            if state.throttle.list_due(state.now, !known) {
                effects.push(Effect::LoadConnections);
            }
            effects.extend(want_valuation(state));
            effects
        }
        Action::Disconnected { id, outcome } => {
            state.notice = Some(match outcome {
                Ok(()) => Notice {
                    text: "Disconnected. Also delete or restrict the key on the exchange.".into(),
                    is_error: false,
                },
                Err(message) => Notice {
                    text: message,
                    is_error: true,
                },
            });
            state.syncing.remove(&id);
            vec![]
        }
        // A replaced key closes the form: the card and the detail under it show the new key.
        Action::RotateFinished(ConnectOutcome::Saved { label, .. }) => {
            let Some(form) = state.form.take() else {
                return vec![];
            };
            state.pending_connect = None;
            state.notice = Some(Notice {
                text: format!(
                    "Key replaced for {label}. Also delete the old key on {}.",
                    form.exchange().name()
                ),
                is_error: false,
            });
            form.replacing()
                .map_or_else(Vec::new, |r| reload_open_detail(state, r.id))
        }
        // Any other outcome of a rotate keeps the form open as a connect's does.
        Action::ConnectFinished(outcome) | Action::RotateFinished(outcome) => {
            let Some(form) = state.form.as_mut() else {
                return vec![];
            };
            match outcome {
                ConnectOutcome::Saved {
                    label,
                    assets,
                    permissions,
                } => {
                    state.pending_connect = None;
                    form.set_phase(FormPhase::Saved {
                        label,
                        assets,
                        permissions,
                    });
                }
                ConnectOutcome::Rejected(failure) => form.set_phase(FormPhase::Failed(failure)),
                ConnectOutcome::WithdrawRisk(snapshot) => {
                    form.set_phase(FormPhase::WithdrawWarning(snapshot));
                }
                ConnectOutcome::Refused(why) => {
                    form.set_phase(FormPhase::Editing);
                    state.notice = Some(Notice {
                        text: why,
                        is_error: true,
                    });
                }
            }
            vec![]
        }
        Action::OAuthProgress(phase) => {
            if let Some(Modal::OAuth(view)) = state.modal.as_mut() {
                view.phase = phase;
            }
            vec![]
        }
        Action::OAuthFinished(outcome) => {
            if let Some(Modal::OAuth(view)) = state.modal.as_mut() {
                view.finished(outcome);
            }
            vec![]
        }
        Action::Notice(text) => {
            state.notice = Some(Notice {
                text,
                is_error: true,
            });
            vec![]
        }
    }
}

fn reload_open_detail(state: &State, id: i64) -> Vec<Effect> {
    match &state.modal {
        Some(Modal::Detail(d)) if d.id == id => vec![Effect::LoadDetail(id)],
        _ => vec![],
    }
}

/// Values the portfolio now, or with a tick once the gap since the last has passed.
fn want_valuation(state: &mut State) -> Vec<Effect> {
    if state.throttle.valuation_due(state.now) {
        vec![Effect::LoadValuation]
    } else {
        vec![]
    }
}

/// Opens OAuth sign-in where the exchange offers it, else the API-key form.
fn open_connect(state: &mut State, exchange: ExchangeId) -> Vec<Effect> {
    match OAuthView::offered(state, exchange, None) {
        Some(view) => {
            state.modal = Some(Modal::OAuth(view));
            vec![]
        }
        None => open_key_form(state, exchange),
    }
}

/// Opens the API-key form; in the demo it comes filled with the simulator's read-only key.
fn open_key_form(state: &mut State, exchange: ExchangeId) -> Vec<Effect> {
    let mut form = KeyForm::new(exchange, &state.labels());
    form.set_keys(state.keys.clone());
    if let Some(sim) = &state.demo_sim
        && let Some(a) = sim.account_on(exchange.id(), "read-only")
    {
        let base = format!("{}/{}", sim.base_url, exchange.id());
        form.prefill(&a.api_key, &a.secret, a.passphrase.as_deref(), Some(&base));
    }
    state.form = Some(form);
    vec![]
}

/// What a checked form asks for: a connect, or in replace mode the connection's new key
/// (its endpoint only when the trader changed Region, Custom URL or Testnet).
fn submit_effect(form: &KeyForm, request: ConnectRequest, accept_withdraw_risk: bool) -> Effect {
    match form.replacing() {
        Some(r) => Effect::Rotate {
            id: r.id,
            endpoint: (request.endpoint != r.opened_endpoint).then_some(request.endpoint),
            creds: request.creds,
            accept_withdraw_risk,
        },
        None => Effect::Connect {
            request,
            accept_withdraw_risk,
        },
    }
}

/// Opens the API-key form in replace mode for connection `id`; an OAuth connection has
/// no key to replace, and the notice line says so.
fn open_replace_form(state: &mut State, id: i64) -> Vec<Effect> {
    let Some(c) = state.connections.iter().find(|c| c.id == id) else {
        return vec![];
    };
    if c.auth_kind != AuthKind::ApiKey {
        state.notice = Some(Notice {
            text: format!(
                "{} signs in with OAuth and has no API key to replace; sign in again instead",
                c.label
            ),
            is_error: true,
        });
        return vec![];
    }
    let mut form = KeyForm::replace(c.exchange, id, &c.label, &c.endpoint);
    form.set_keys(state.keys.clone());
    state.pending_connect = None;
    state.form = Some(form);
    vec![]
}

/// Keys while the API-key form is open.
fn form_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let Some(form) = state.form.as_mut() else {
        return vec![];
    };
    match form.handle_key(key) {
        FormOutcome::Nothing => vec![],
        FormOutcome::Submit(request) => {
            state.pending_connect = Some(request.clone());
            vec![submit_effect(form, request, false)]
        }
        FormOutcome::ConfirmWithdraw => match state.pending_connect.clone() {
            Some(request) => {
                form.set_phase(FormPhase::Validating);
                vec![submit_effect(form, request, true)]
            }
            None => vec![],
        },
        FormOutcome::Cancel => {
            state.form = None;
            state.pending_connect = None;
            vec![Effect::CancelConnect]
        }
        FormOutcome::Close => {
            state.form = None;
            state.pending_connect = None;
            vec![]
        }
    }
}

/// Keys while a window is open: the window says what it wants, and this carries it out.
fn modal_key(state: &mut State, key: &KeyEvent) -> Vec<Effect> {
    let Some(modal) = &state.modal else {
        return vec![];
    };
    let intent = match modal {
        Modal::OAuth(view) => {
            let step = view.intents(state.demo_sim.is_some());
            state.keys.lookup_among(Context::OAuth, step, key)
        }
        modal => state.keys.lookup(modal.context(), key),
    };
    let most_scroll = match modal {
        Modal::Help(_) => crate::ui::help_most_scroll(state),
        _ => 0,
    };
    let labels = match modal {
        Modal::OAuth(_) => state.labels(),
        _ => vec![],
    };
    let outcome = match state.modal.as_mut() {
        None => return vec![],
        Some(Modal::Help(help)) => help.on_key(intent, most_scroll),
        Some(Modal::Detail(detail)) => detail.on_key(intent),
        Some(Modal::OAuth(view)) => view.on_key(intent, &labels),
        Some(Modal::ConfirmDisconnect(confirm)) => confirm.on_key(intent),
        Some(Modal::Portfolio(view)) => view.on_key(intent),
        Some(Modal::Picker(picker)) => picker.on_key(intent, key),
    };
    match outcome {
        Outcome::Stay => vec![],
        Outcome::Close => {
            state.modal = None;
            vec![]
        }
        Outcome::Run(effects) => effects,
        Outcome::CloseAnd(effects) => {
            state.modal = None;
            effects
        }
        Outcome::Connect(exchange) => {
            state.modal = None;
            state.notice = None;
            open_connect(state, exchange)
        }
        Outcome::KeyForm(exchange) => {
            state.modal = None;
            open_key_form(state, exchange)
        }
        Outcome::ReplaceKey(id) => open_replace_form(state, id),
        Outcome::Refuse(why) => {
            state.notice = Some(Notice {
                text: why,
                is_error: true,
            });
            vec![]
        }
    }
}
