import { describe, expect, it } from 'vitest';
import { resolveSettings, SettingsError } from '#shared/campaign/settings.ts';
import { type ColumnMapping, describeColumns, planColumns } from '#shared/csv/columns.ts';

/** What a header row is read as, or its problem. */
const read = (header: string, mapping?: ColumnMapping): string => {
  const checked = planColumns(header.split(','), mapping);
  return checked.ok ? describeColumns(checked.plan) : `problem: ${checked.problem}`;
};

describe('planColumns: aliases in many languages and exports', () => {
  it.each([
    ['Vorname,Nachname,E-Mail,Sprache', 'email ← E-Mail; name ← Vorname + Nachname; language ← Sprache'],
    ['Prénom,Nom,Courriel,Langue', 'email ← Courriel; name ← Prénom + Nom; language ← Langue'],
    [
      'Nombre,Apellidos,Correo electrónico,Idioma',
      'email ← Correo electrónico; name ← Nombre + Apellidos; language ← Idioma',
    ],
    [
      'Nome,Cognome,Indirizzo email,Lingua',
      'email ← Indirizzo email; name ← Nome + Cognome; language ← Lingua',
    ],
    [
      'Voornaam,Achternaam,E-mailadres,Taal',
      'email ← E-mailadres; name ← Voornaam + Achternaam; language ← Taal',
    ],
    ['Nome,Sobrenome,Endereço de e-mail', 'email ← Endereço de e-mail; name ← Nome + Sobrenome'],
    [
      'Имя,Фамилия,Электронная почта,Язык',
      'email ← Электронная почта; name ← Имя + Фамилия; language ← Язык',
    ],
    ['ФИО,Имя,Почта', 'email ← Почта; name ← ФИО; merge fields: имя'],
    ['Name,Surname,Email', 'email ← Email; name ← Name + Surname'],
    ['PrimaryEmail,FirstName,LastName', 'email ← PrimaryEmail; name ← FirstName + LastName'],
    ['Email Address,First Name,Last Name', 'email ← Email Address; name ← First Name + Last Name'],
    ['EMAIL,Full Name,First Name', 'email ← EMAIL; name ← Full Name; merge fields: first_name'],
    ['Vorname,Name,E-Mail', 'email ← E-Mail; name ← Vorname + Name'],
  ])('%s', (header, recognised) => {
    // Act / Assert
    expect(read(header)).toBe(
      recognised.includes('merge fields') ? recognised : `${recognised}; no other columns`,
    );
  });

  it('asks for a mapping when two columns look like the address, naming both', () => {
    // Act
    const problem = read('Email,E-Mail,Name');
    // Assert
    expect(problem).toBe(
      'problem: the header row has more than one email column: columns 1 ("Email") and 2 ("E-Mail"); say which one in the settings ("columns": { "email": "…" })',
    );
  });

  it.each([
    ['Email,RecipientEmail', 'email ← Email; merge fields: recipientemail'],
    ['E-Mail-Adresse,Email', 'email ← Email; merge fields: e_mail_adresse'],
    ['Correo,Primary Email', 'problem: the header row has more than one email column'],
  ])('keeps a plain address column over export and foreign ones: %s', (header, recognised) => {
    // Act / Assert
    expect(read(header)).toContain(recognised);
  });

  it.each([
    ['Name,First Name,Email', 'email ← Email; name ← Name; merge fields: first_name'],
    ['Last Name,Name,Email', 'email ← Email; name ← Name; merge fields: last_name'],
  ])('keeps an English "Name" beside first or last name as the full name: %s', (header, recognised) => {
    // Act / Assert
    expect(read(header)).toBe(recognised);
  });
});

describe('planColumns: the settings column mapping', () => {
  it('takes the columns it names over the aliases; the other address column becomes a merge field', () => {
    // Act
    const recognised = read('Email,Work e-mail,Vorname,Nachname,Sprache,Firma', {
      email: 'Work e-mail',
      name: ['Vorname', 'Nachname'],
      language: 'Sprache',
    });
    // Assert
    expect(recognised).toBe(
      'email ← Work e-mail; name ← Vorname + Nachname; language ← Sprache; merge fields: email, firma',
    );
  });

  it('finds a column ignoring case, spaces and accents when no header is written exactly so', () => {
    // Act / Assert
    expect(read('E-Mail,Kunde', { email: 'e mail', name: 'KUNDE' })).toBe(
      'email ← E-Mail; name ← Kunde; no other columns',
    );
  });

  it('names a missing column and the columns the file has', () => {
    // Act / Assert
    expect(read('email,Vorname', { name: ['Vorname', 'Nachname'] })).toBe(
      'problem: settings columns.name names the column "Nachname", which the file does not have (its columns: "email", "Vorname")',
    );
  });

  it('refuses one column in two roles, and a header written twice', () => {
    // Act / Assert
    expect(read('Email,Name', { email: 'Email', language: 'Email' })).toBe(
      'problem: settings columns.language names the column "Email", which columns.email already uses',
    );
    expect(read('Email,Name,Name', { name: 'Name' })).toBe(
      'problem: settings columns.name "Name" matches more than one column of the file',
    );
  });

  it('refuses a loose name that matches two columns', () => {
    // Act / Assert
    expect(read('E-Mail,E Mail', { email: 'email' })).toBe(
      'problem: settings columns.email "email" matches more than one column of the file',
    );
  });
});

describe('settings: columns', () => {
  const base = { projectId: '7d1f3c2a-5b6e-4f80-9a1b-2c3d4e5f6a7b', sender: 'Team <team@example.com>' };

  it('accepts a column or a list of columns for the name', () => {
    // Act
    const settings = resolveSettings(base, {
      columns: { email: 'Work e-mail', name: ['Vorname', 'Nachname'] },
    });
    // Assert
    expect(settings.columns).toEqual({ email: 'Work e-mail', name: ['Vorname', 'Nachname'] });
  });

  it.each([
    [{ name: [] }, 'settings.columns.name: must name at least one column'],
    [{ mail: 'E-Mail' }, 'settings.columns'],
    [{ email: '' }, 'settings.columns.email: must not be empty'],
  ])('refuses %j', (columns, message) => {
    // Act
    const resolve = () => resolveSettings(base, { columns });
    // Assert
    expect(resolve).toThrow(SettingsError);
    expect(resolve).toThrow(message);
  });
});
