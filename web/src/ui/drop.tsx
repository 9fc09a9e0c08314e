// The CSV drop zone of the new-campaign page: a file input inside a label, so a keyboard reaches it too.
import { useState } from 'preact/hooks';

/** Drop a file here, or choose it. */
export const CsvDrop = ({ csvName, onFile }: { csvName: string | undefined; onFile: (f: File) => void }) => {
  const [over, setOver] = useState(false);
  return (
    <label
      class={over ? 'drop over' : 'drop'}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        const file = e.dataTransfer?.files[0];
        if (file) onFile(file);
      }}
    >
      <span>
        {csvName
          ? `CSV: ${csvName} (drop another to replace it)`
          : 'Drop the respondent CSV here, or choose it'}
      </span>
      <input
        type="file"
        accept=".csv,text/csv"
        aria-label="Respondent CSV"
        onChange={(e) => {
          const file = (e.target as HTMLInputElement).files?.[0];
          if (file) onFile(file);
        }}
      />
    </label>
  );
};
